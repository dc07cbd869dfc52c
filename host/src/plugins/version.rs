//! Which plugin interface versions this host runs.

/// The `beamgram:plugin` version this host implements.
pub const HOST_API: &str = "0.2.1";

fn parse(v: &str) -> Option<(u64, u64, u64)> {
    let mut it = v.trim().split('.').map(|p| p.parse::<u64>().ok());
    Some((it.next()??, it.next()??, it.next().flatten().unwrap_or(0)))
}

/// Semver compatibility: same major, and before 1.0 the same minor too. `Err` explains,
/// naming both versions.
pub fn check(plugin: &str, plugin_api: &str) -> Result<(), String> {
    let (Some(p), Some(h)) = (parse(plugin_api), parse(HOST_API)) else {
        return Err(format!("plugin {plugin} reports API version '{plugin_api}', which is not a version number"));
    };
    let compatible = p.0 == h.0 && (h.0 > 0 || p.1 == h.1);
    if compatible {
        Ok(())
    } else {
        Err(format!(
            "plugin {plugin} was built for beamgram:plugin@{plugin_api}, but this beamgram runs beamgram:plugin@{HOST_API}; \
             rebuild it with the beamgram-plugin SDK {}.{}.x",
            h.0, h.1
        ))
    }
}

/// The `beamgram:plugin` version a component imports, when it is not one this host provides
/// (instantiation would fail with a bare "missing import"). An earlier patch of this host's
/// version is provided: patches only add, and the linker matches `@0.2.0` imports to `0.2.1`.
pub fn imported_version(import_names: impl Iterator<Item = String>) -> Option<String> {
    import_names
        .filter_map(|n| {
            n.strip_prefix("beamgram:plugin/").and_then(|rest| rest.split_once('@')).map(|(_, v)| v.to_string())
        })
        .find(|v| !provided(v))
}

/// Whether this host provides interface version `v`: its own, or an earlier patch of it.
fn provided(v: &str) -> bool {
    match (parse(v), parse(HOST_API)) {
        (Some(p), Some(h)) => p.0 == h.0 && p.1 == h.1 && p.2 <= h.2,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatibility() {
        assert!(check("p", "0.2.0").is_ok());
        assert!(check("p", "0.2.1").is_ok());
        assert!(check("p", "0.2.7").is_ok(), "patch versions are compatible");
        let e = check("p", "0.1.0").unwrap_err();
        assert!(e.contains("beamgram:plugin@0.1.0") && e.contains(HOST_API), "{e}");
        assert!(check("p", "9.0.0").is_err());
        assert!(check("p", "banana").is_err());
        assert_eq!(imported_version(["beamgram:plugin/log@0.1.0".to_string()].into_iter()), Some("0.1.0".into()));
        assert_eq!(
            imported_version(["beamgram:plugin/log@0.2.0".to_string(), "wasi:cli/stdout@0.2.0".into()].into_iter()),
            None,
            "an earlier patch is provided"
        );
        assert_eq!(imported_version(["beamgram:plugin/log@0.2.1".to_string()].into_iter()), None);
        assert_eq!(imported_version(["beamgram:plugin/log@0.2.9".to_string()].into_iter()), Some("0.2.9".into()));
    }
}
