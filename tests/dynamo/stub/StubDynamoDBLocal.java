// A stand-in for DynamoDBLocal.jar in tests: NOT DynamoDB. It parses the same
// command line (-port, -dbPath, -sharedDb), prints a banner, answers the few
// JSON API calls `tight dynamo.rundb` makes (ListTables, CreateTable,
// DescribeTable, UpdateTimeToLive) and writes its pid to dbPath/stub.pid, so
// the tests can check tight's process management of the `local` engine.
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class StubDynamoDBLocal {
    public static void main(String[] args) throws Exception {
        int port = 8000;
        String dbPath = ".";
        boolean shared = false;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("-port")) port = Integer.parseInt(args[++i]);
            else if (args[i].equals("-dbPath")) dbPath = args[++i];
            else if (args[i].equals("-sharedDb")) shared = true;
        }
        Path db = Path.of(dbPath, "shared-local-instance.db");
        System.out.println("Stub DynamoDB Local: Port: " + port + " DbPath: " + dbPath + " SharedDb: " + shared
                + " shared db present at start: " + Files.exists(db));
        System.out.flush();
        Files.writeString(Path.of(dbPath, "stub.pid"), Long.toString(ProcessHandle.current().pid()));
        List<String> tables = new ArrayList<>();
        Pattern name = Pattern.compile("\"TableName\"\\s*:\\s*\"([^\"]+)\"");
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/", exchange -> {
            String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Matcher m = name.matcher(body);
            String table = m.find() ? m.group(1) : "";
            String answer = "{}";
            synchronized (tables) {
                if (target != null && target.endsWith(".ListTables")) {
                    StringBuilder names = new StringBuilder();
                    for (String t : tables) names.append(names.length() > 0 ? "," : "").append('"').append(t).append('"');
                    answer = "{\"TableNames\":[" + names + "]}";
                } else if (target != null && target.endsWith(".CreateTable")) {
                    tables.add(table);
                    Files.writeString(db, String.join("\n", tables));
                    answer = "{\"TableDescription\":{\"TableName\":\"" + table + "\",\"TableStatus\":\"ACTIVE\"}}";
                } else if (target != null && target.endsWith(".DescribeTable")) {
                    answer = "{\"Table\":{\"TableName\":\"" + table + "\",\"TableStatus\":\"ACTIVE\"}}";
                }
            }
            byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.0");
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
    }
}
