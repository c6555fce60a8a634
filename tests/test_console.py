"""tight_tasks.console: one home for output and sizes."""


def test_console_sizes_and_streams(capsys):
    from tight_tasks import console

    assert [console.human_size(n) for n in (0, 1023, 1024, 1536, 5 * 1024**2, 3 * 1024**3, 2048 * 1024**3)] == [
        "0 B", "1023 B", "1.0 KiB", "1.5 KiB", "5.0 MiB", "3.0 GiB", "2048.0 GiB"]
    console.say("done")
    console.warn("Warning: careful")
    out, err = capsys.readouterr()
    assert (out, err) == ("done\n", "Warning: careful\n")
