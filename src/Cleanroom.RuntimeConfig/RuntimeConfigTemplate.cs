using System.Text;

namespace Cleanroom.RuntimeConfig;

/// <summary>
/// The commented starting config that <c>cleanroom config init</c> writes. Every known setting appears,
/// commented out, so the file documents itself; what is left active is valid as written.
/// </summary>
public static class RuntimeConfigTemplate
{
    /// <param name="defaultBackend">The backend to make the default, or null to let the server pick the
    /// strongest one that works on this host at start-up.</param>
    public static string Render(string? defaultBackend)
    {
        var text = new StringBuilder();
        text.AppendLine("# Cleanroom runtime config: host-side settings that never belong in a repository's cleanroom.yaml.");
        text.AppendLine("# Check it with: cleanroom config validate");
        text.AppendLine();
        text.AppendLine("# Backend for new sandboxes. Empty: the strongest backend that passes `cleanroom doctor` here.");
        text.AppendLine($"default_backend: \"{defaultBackend ?? ""}\"");
        text.AppendLine();
        text.AppendLine("# Image `cleanroom init` pins new policies to (scripts/setup.sh builds and imports it).");
        text.AppendLine($"default_image: \"{RuntimeConfiguration.BuiltInDefaultImage}\"");
        text.AppendLine();
        text.AppendLine("# Sandbox networks: one small subnet per sandbox from the pool; the policy resolver forwards");
        text.AppendLine("# allowed names upstream (default: the host's /etc/resolv.conf); static names need no upstream.");
        text.AppendLine("network:");
        text.AppendLine("  # pool: 10.213.0.0/16");
        text.AppendLine("  # dns: {upstream: 192.0.2.53, hosts: {internal.example: 192.0.2.10}}");
        text.AppendLine();
        text.AppendLine("# How the server pulls images. Plain-HTTP registries only when listed here.");
        text.AppendLine("images:");
        text.AppendLine("  # insecure_registries: [\"127.0.0.1:5000\"]");
        text.AppendLine("  # credentials: {registry.example: {username: me, password: secret}}");
        text.AppendLine("  # docker_config: ~/.docker/config.json");
        text.AppendLine();
        text.AppendLine("# What a sandbox may send back in one request (cp, workspace copy-out and diff).");
        text.AppendLine("workspace:");
        text.AppendLine("  # max_transfer_bytes: 1073741824");
        text.AppendLine("  # max_tree_entries: 200000");
        text.AppendLine();
        text.AppendLine("# Spare sandboxes kept ready for the spec (policy, image, backend) of the latest sandbox, so the next");
        text.AppendLine("# exec of the same policy does not wait for a sandbox to start. Each holds a sandbox's memory; 0 turns it off.");
        text.AppendLine("warm_pool:");
        text.AppendLine("  # size: 1");
        text.AppendLine();
        text.AppendLine("# Idle sandboxes: suspend one after this many seconds with nothing running, attached or forwarded (0: never;");
        text.AppendLine("# warm-pool spares never), and how long a wake may take. A gVisor sandbox suspends only with");
        text.AppendLine("# backends.gvisor.network_stack: sandbox.");
        text.AppendLine("sandbox_lifecycle:");
        text.AppendLine("  # idle_suspend_after_seconds: 0");
        text.AppendLine("  # wake_timeout_seconds: 60");
        text.AppendLine();
        text.AppendLine("# Cached outputs of policies' dependency and service blocks, all repositories together; least recently used go first.");
        text.AppendLine("block_cache:");
        text.AppendLine("  # max_bytes: 10737418240");
        text.AppendLine();
        text.AppendLine("# Package registries the host gateway serves (sandboxes whose policy allows one get npm_config_registry,");
        text.AppendLine("# PIP_INDEX_URL or GOPROXY pointing at the gateway), and the verified package cache behind them (default: a tenth of the");
        text.AppendLine("# free disk; metadata is asked again after metadata_ttl_seconds, and served stale when the upstream fails).");
        text.AppendLine("registries:");
        text.AppendLine("  # npm: [https://registry.npmjs.org/]");
        text.AppendLine("  # pypi: [https://pypi.org/simple/]");
        text.AppendLine("  # go: [https://proxy.golang.org/]");
        text.AppendLine("registry_cache:");
        text.AppendLine("  # max_bytes: 10737418240");
        text.AppendLine("  # metadata_ttl_seconds: 300");
        text.AppendLine();
        text.AppendLine("# How long ended sandboxes' records (executions, events, retained output) are kept; 0 keeps them.");
        text.AppendLine("records:");
        text.AppendLine("  # retention_days: 7");
        text.AppendLine();
        text.AppendLine("# The audit log: one JSON line per call that changes something or is refused (who, what, which sandbox, policy");
        text.AppendLine("# hash, allow-all, outcome). It rotates at max_bytes; rotated files beyond max_files or retention_days go.");
        text.AppendLine("audit:");
        text.AppendLine("  # file: /var/log/cleanroom/api.jsonl   # default: audit/api.jsonl in the state directory");
        text.AppendLine($"  # max_bytes: {AuditSettings.Defaults.MaxBytes}");
        text.AppendLine($"  # max_files: {AuditSettings.Defaults.MaxFiles}");
        text.AppendLine($"  # retention_days: {AuditSettings.Defaults.RetentionDays}");
        text.AppendLine();
        text.AppendLine("# OpenTelemetry: traces and metrics sent by OTLP (grpc or http/protobuf), and a Prometheus /metrics listener");
        text.AppendLine("# of its own. Both off by default.");
        text.AppendLine("observability:");
        text.AppendLine("  # otlp_endpoint: \"http://127.0.0.1:4317\"");
        text.AppendLine("  # otlp_protocol: grpc");
        text.AppendLine("  # metrics_listen: \"http://127.0.0.1:9464\"");
        text.AppendLine();
        text.AppendLine("# Where the API listens besides serve's --listen flags (default: the user's unix socket). A non-loopback");
        text.AppendLine("# https address needs auth.required: true; plain http stays on loopback.");
        text.AppendLine("# listen: [unix:///run/cleanroom/cleanroom.sock, https://0.0.0.0:7777]");
        text.AppendLine();
        text.AppendLine("# The https listeners' certificate (PEM) and, for mTLS, the CA that client certificates must chain to.");
        text.AppendLine("# 'cleanroom tls init DIR' makes a small CA, a server certificate and client certificates.");
        text.AppendLine("tls:");
        text.AppendLine("  # cert_file: /etc/cleanroom/tls/server.crt");
        text.AppendLine("  # key_file: /etc/cleanroom/tls/server.key");
        text.AppendLine("  # client_ca_file: /etc/cleanroom/tls/ca.crt");
        text.AppendLine();
        text.AppendLine("# Who may call the API. required: every call without a valid identity fails with 'unauthenticated'.");
        text.AppendLine("auth:");
        text.AppendLine("  # required: false");
        text.AppendLine("  # tokens: [{file: /etc/cleanroom/tokens/ci-bot, principal: ci-bot}]");
        text.AppendLine("  # oidc: {issuers: [{issuer: \"https://issuer.example\", audience: cleanroom}]}");
        text.AppendLine("  # admins: [alice]");
        text.AppendLine("  # Claims policy (needs required: true): the first rule whose patterns all match decides; no match denies.");
        text.AppendLine("  # policy: [{match: {claim: repository, pattern: \"org/*\"}, allow: true, backends: [gvisor], images: [\"ghcr.io/org/*\"], allow_all: false}]");
        text.AppendLine();
        text.AppendLine("# The HTTPS router for --expose-https (https://NAME.cleanroom.localhost:PORT/); it starts with the first route.");
        text.AppendLine("routes:");
        text.AppendLine($"  # port: {RouteSettings.DefaultPort}");
        text.AppendLine("  # address: 127.0.0.1");
        text.AppendLine();
        text.AppendLine("# The host gateway: each sandbox reaches it at the host end of its own link. It proxies git for the hosts the");
        text.AppendLine("# sandbox's policy allows and adds these credentials upstream; tokens never enter a sandbox.");
        text.AppendLine("gateway:");
        text.AppendLine($"  # listen_port: {GatewaySettings.DefaultPort}");
        text.AppendLine("  # upstream_ca_file: /etc/ssl/private-ca.pem");
        text.AppendLine("  # credentials:");
        text.AppendLine("  #   hosts:");
        text.AppendLine("  #     git.example.com: {token_env: GIT_EXAMPLE_TOKEN}   # or {token_file: /path}; optional username; or {helper: store}");
        text.AppendLine("  #   github_app: {app_id: \"1\", installation_id: \"2\", private_key_file: /path/key.pem, repo_prefixes: [org/]}");
        text.AppendLine($"  # mirrors: {{max_bytes: {MirrorSettings.Defaults.MaxBytes}, expire_after_days: {MirrorSettings.Defaults.ExpireAfterDays}}}");
        text.AppendLine();
        text.AppendLine("# Secrets a policy's secrets: bindings may name. The gateway adds the value to requests for the bound hosts;");
        text.AppendLine("# a sandbox only ever sees a placeholder in CLEANROOM_SECRET_<ID>.");
        text.AppendLine("secrets:");
        text.AppendLine("  # api_token: {env: API_TOKEN}   # or {file: /path}");
        text.AppendLine();
        text.AppendLine("backends:");
        foreach (var schema in BackendSectionSchema.Known)
        {
            text.AppendLine($"  {schema.Backend}:");
            foreach (var setting in schema.Settings)
            {
                var choices = setting.Choices is null ? "" : $" ({string.Join("|", setting.Choices)})";
                text.AppendLine($"    # {setting.Name}: {setting.Description}{choices}");
            }
        }

        return text.ToString();
    }
}
