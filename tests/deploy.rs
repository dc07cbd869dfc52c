//! The deployment files, checked where no Docker engine, systemd or Grafana runs: what each one
//! hands the `beamgram` binary is run through the binary itself.
//!
//! - `Dockerfile`: its final stage is the `just dist` folder and nothing else, on an empty base,
//!   as a non-root user with `/data` as a volume; its HEALTHCHECK command answers 0 for a live
//!   process and 1 for a dead one.
//! - `deploy/compose.yaml`: every beamgram service's environment passes `beamgram config check`
//!   and gives the role and node name it says.
//! - `deploy/systemd/beamgram.service`: its ExecStart parses and runs the release folder's binary.
//! - `deploy/grafana/beamgram-dashboard.json`: every metric a panel queries is one a live
//!   process exports.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_beamgram");

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `beamgram ARGS` with exactly `env` (and no configuration file of this machine's).
fn beamgram(args: &[&str], env: &[(String, String)]) -> std::process::Output {
    let dir = tempfile::tempdir().expect("an empty folder");
    Command::new(BIN)
        .args(args)
        .current_dir(dir.path())
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("beamgram runs")
}

/// The Dockerfile's instructions (continuation lines joined, comments dropped), split by stage.
fn stages(dockerfile: &str) -> Vec<Vec<String>> {
    let mut joined = Vec::new();
    let mut current = String::new();
    for line in dockerfile.lines().map(str::trim) {
        if line.starts_with('#') || (line.is_empty() && current.is_empty()) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => current.push_str(part),
            None => {
                current.push_str(line);
                joined.push(std::mem::take(&mut current));
            }
        }
    }
    let mut stages: Vec<Vec<String>> = Vec::new();
    for i in joined.into_iter().filter(|l| !l.trim().is_empty()) {
        if i.starts_with("FROM ") {
            stages.push(Vec::new());
        }
        stages.last_mut().expect("FROM first").push(i);
    }
    stages
}

#[test]
fn the_image_is_the_release_folder_on_an_empty_base_as_a_non_root_user() {
    let stages = stages(&read("Dockerfile"));
    assert_eq!(stages.len(), 2, "a build stage and the final one");
    let (build, last) = (&stages[0], &stages[1]);
    assert!(build[0].ends_with(" AS build"), "{}", build[0]);
    assert!(build.iter().any(|i| i.starts_with("RUN just dist")), "the build stage makes the release folder");
    assert_eq!(last[0], "FROM scratch", "nothing beneath the static binary");
    let copies: Vec<&String> = last.iter().filter(|i| i.starts_with("COPY")).collect();
    assert_eq!(
        copies,
        ["COPY --from=build /rootfs/ /", "COPY --from=build /src/dist/ /opt/beamgram/"],
        "the dist folder and the empty /data and /tmp; nothing else"
    );
    assert!(!last.iter().any(|i| i.starts_with("RUN ") || i.starts_with("ADD ")), "the final stage only copies");
    let user = last.iter().find_map(|i| i.strip_prefix("USER ")).expect("a USER");
    assert!(user.split(':').all(|id| id.parse::<u32>().is_ok_and(|n| n >= 1000)), "numeric, not root: {user}");
    assert!(last.iter().any(|i| i == "VOLUME [\"/data\"]"));
    assert!(last.iter().any(|i| i.contains("BEAMGRAM_STORAGE__DATA_DIR=/data")), "the data folder is the volume");
    assert!(last.iter().any(|i| i.starts_with("ENTRYPOINT [\"/opt/beamgram/beamgram\"]")));
    // The build stage prepares /rootfs/data for that user.
    let uid = user.split(':').next().unwrap_or_default();
    assert!(build.iter().any(|i| i.contains(&format!("chown {uid}:"))), "the volume belongs to the user");
}

/// The HEALTHCHECK's command, with the image's binary path pointed at this build.
fn health_command(dockerfile: &str) -> Vec<String> {
    let stages = stages(dockerfile);
    let health = stages.last().and_then(|s| s.iter().find(|i| i.starts_with("HEALTHCHECK"))).expect("a HEALTHCHECK");
    let json = health.split_once("CMD ").expect("HEALTHCHECK … CMD [...]").1;
    let argv: Vec<String> = serde_json::from_str(json).expect("exec form");
    assert_eq!(argv[0], "/opt/beamgram/beamgram", "the release folder's binary, no shell or curl needed");
    argv[1..].to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_image_health_check_tells_a_live_process_from_a_dead_one() {
    let args = health_command(&read("Dockerfile"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let host = common::host::host().await;
    let port = host.base.rsplit(':').next().expect("a port").trim_end_matches('/').to_string();
    // The image sets PORT; the check finds the process on it.
    let live = beamgram(&args, &[("PORT".into(), port.clone())]);
    assert!(live.status.success(), "healthy: {}", String::from_utf8_lossy(&live.stderr));
    host.stop().await;
    let dead = beamgram(&args, &[("PORT".into(), port)]);
    assert_eq!(dead.status.code(), Some(1), "a dead process is unhealthy");
    assert!(String::from_utf8_lossy(&dead.stderr).contains("/healthz"), "says what it asked");
}

/// `${NAME:?message}` and `${NAME:-default}` as compose fills them, from `vars`.
fn interpolate(value: &str, vars: &[(&str, &str)]) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("a closing brace") + start;
        let inner = &rest[start + 2..end];
        let name = inner.split([':', '-', '?']).next().unwrap_or_default();
        let default = inner.split_once(":-").map(|(_, d)| d).unwrap_or("");
        out.push_str(vars.iter().find(|(k, _)| *k == name).map(|(_, v)| *v).unwrap_or(default));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn every_compose_service_s_environment_is_a_valid_configuration_for_its_role() {
    let mut compose: serde_yaml::Value = serde_yaml::from_str(&read("deploy/compose.yaml")).expect("YAML");
    compose.apply_merge().expect("merge keys");
    let services = compose.get("services").and_then(|s| s.as_mapping()).expect("services");
    let example = read("deploy/compose.env.example");
    let vars: Vec<(&str, &str)> =
        example.lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.split_once('=')).collect();
    let mut roles = Vec::new();
    for (name, service) in services {
        let name = name.as_str().expect("a name");
        if service.get("image").and_then(|i| i.as_str()) != Some("beamgram:latest") {
            continue;
        }
        let mut env = service.get("environment").cloned().expect("environment");
        env.apply_merge().expect("merge keys");
        let env: Vec<(String, String)> = env
            .as_mapping()
            .expect("a map")
            .iter()
            .map(|(k, v)| {
                let v = v.as_str().map(str::to_string).unwrap_or_else(|| serde_yaml::to_string(v).unwrap_or_default());
                (k.as_str().expect("a key").to_string(), interpolate(v.trim(), &vars))
            })
            .collect();
        let out = beamgram(&["config", "check"], &env);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{name}: {}\n{text}", String::from_utf8_lossy(&out.stderr));
        let value = |k: &str| env.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()).expect(k);
        let (role, node) = (value("BEAMGRAM_NODE__ROLE"), value("BEAMGRAM_NODE__NAME"));
        assert_eq!(node, name, "each service's node name is its own");
        assert!(text.contains(&format!("role = \"{role}\"")), "{name} runs as {role}:\n{text}");
        assert!(text.contains(&format!("name = \"{name}\"")), "{name}:\n{text}");
        assert!(text.contains("trusted_proxies = [\"172.28.0.10\"]"), "the balancer is trusted:\n{text}");
        assert!(text.contains("public_url = \"https://files.example.org\""), "links name the balancer:\n{text}");
        assert!(!text.contains("change-me"), "the database password is masked:\n{text}");
        roles.push(role);
    }
    roles.sort();
    assert_eq!(roles, ["bot", "bot", "stream", "stream"], "two bot nodes and two stream nodes");
    let lb = services.get("lb").expect("a balancer");
    let ip = lb.get("networks").and_then(|n| n.get("beamgram")).and_then(|n| n.get("ipv4_address"));
    assert_eq!(ip.and_then(|i| i.as_str()), Some("172.28.0.10"), "the trusted address is the balancer's");
    let conf = read("deploy/nginx/beamgram.conf");
    for s in ["stream1", "stream2"] {
        assert!(conf.contains(&format!("server {s}:8080 ")), "nginx sends links to {s}");
    }
}

#[test]
fn the_systemd_unit_runs_the_release_folder_s_binary_with_arguments_it_accepts() {
    let unit = read("deploy/systemd/beamgram.service");
    let exec = unit.lines().find_map(|l| l.strip_prefix("ExecStart=")).expect("ExecStart");
    let mut argv = exec.split_whitespace();
    assert_eq!(argv.next(), Some("/opt/beamgram/beamgram"), "the release folder unpacked in /opt/beamgram");
    let mut args: Vec<&str> = argv.collect();
    // Everything before --help must parse (an unknown flag or role would fail first).
    args.push("--help");
    let out = beamgram(&args, &[]);
    assert!(out.status.success(), "{exec}: {}", String::from_utf8_lossy(&out.stderr));
    for key in ["User=", "Restart=on-failure", "KillSignal=SIGTERM", "StateDirectory=beamgram", "NoNewPrivileges=yes"] {
        assert!(unit.contains(key), "the unit sets {key}");
    }
    assert!(unit.contains("MemoryDenyWriteExecute=no"), "wasmtime writes machine code: W^X stays off");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_the_dashboard_queries_is_exported() {
    let dashboard: serde_json::Value =
        serde_json::from_str(&read("deploy/grafana/beamgram-dashboard.json")).expect("JSON");
    let mut queried = std::collections::BTreeSet::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().expect("targets") {
            let expr = target["expr"].as_str().expect("an expression");
            let mut rest = expr;
            while let Some(i) = rest.find("beamgram_") {
                let name: String = rest[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                rest = &rest[i + name.len()..];
                queried.insert(name);
            }
        }
    }
    assert!(queried.len() >= 10, "the dashboard queries the metrics: {queried:?}");
    let host = common::host::host().await;
    // Counted per answer: a series appears once a request was answered.
    let _ = host.metrics().await;
    let exported = host.metrics().await;
    let missing: Vec<_> = queried.iter().filter(|m| !exported.contains(&format!("\n{m}"))).collect();
    assert!(missing.is_empty(), "queried but not exported: {missing:?}\n{exported}");
    host.stop().await;
}
