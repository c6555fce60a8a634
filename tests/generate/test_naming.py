"""Name validation and inflection."""
import pytest
from invoke.exceptions import Exit

from tight_tasks import naming


@pytest.mark.parametrize("name, expected", [("my_service", "my-service"), ("MyService", "my-service"),
                                            ("my-service", "my-service"), ("api2", "api2")])
def test_dasherize(name, expected):
    assert naming.dasherize(name) == expected


@pytest.mark.parametrize("name, cls, suffix", [("account", "Account", "accounts"), ("person", "Person", "people"),
                                               ("user_profile", "UserProfile", "user-profiles"),
                                               ("category", "Category", "categories")])
def test_model_inflections(name, cls, suffix):
    assert naming.class_name(name) == cls
    assert naming.table_suffix(name) == suffix


@pytest.mark.parametrize("name", ["../x", "a/b", "", ".", "1abc", "my service", "x;rm"])
def test_bad_app_names_are_usage_errors(name):
    with pytest.raises(Exit) as info:
        naming.check_app_name(name)
    assert info.value.code == 2
    assert "letters, digits" in info.value.message


@pytest.mark.parametrize("name", ["my-controller", "class", "1x", "", "a.b", "ünï"])
def test_bad_function_names(name):
    with pytest.raises(Exit) as info:
        naming.check_function_name(name)
    assert info.value.code == 2


@pytest.mark.parametrize("check, task", [(naming.check_app_name, "generate.app"),
                                         (naming.check_function_name, "generate.function"),
                                         (naming.check_model_name, "generate.model")])
def test_a_mistyped_option_is_named_as_an_option(check, task):
    with pytest.raises(Exit) as info:
        check("--frce")
    assert info.value.code == 2
    assert info.value.message == f"Unknown option '--frce' for {task}: see `tight --help {task}`."


def test_good_names_pass_through():
    assert naming.check_app_name("my_service-2") == "my_service-2"
    assert naming.check_function_name("my_controller") == "my_controller"
    assert naming.check_model_name("user_profile") == "user_profile"


@pytest.mark.parametrize("check", [naming.check_app_name, naming.check_function_name, naming.check_model_name])
def test_names_longer_than_64_are_usage_errors(check):
    assert check("a" * 64) == "a" * 64
    with pytest.raises(Exit) as info:
        check("a" * 65)
    assert info.value.code == 2 and "at most 64" in info.value.message


@pytest.mark.parametrize("name", ["none", "NONE", "true", "false"])
def test_model_names_whose_class_is_a_python_constant_are_refused(name):
    with pytest.raises(Exit) as info:
        naming.check_model_name(name)
    assert info.value.code == 2 and "reserves" in info.value.message


@pytest.mark.parametrize("name", ["_x", "__init__", "_", "__main__"])
def test_private_function_names_are_refused(name):
    with pytest.raises(Exit) as info:
        naming.check_function_name(name)
    assert info.value.code == 2 and "'_'" in info.value.message
