//! Which plugin interface versions this host runs.

/// The `beamgram:plugin` version this host implements.
pub const HOST_API: &str = "0.2.0";

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

/// The `beamgram:plugin` version a component imports, when it imports a different one than
/// this host provides (instantiation would fail with a bare "missing import").
pub fn imported_version(import_names: impl Iterator<Item = String>) -> Option<String> {
    import_names
        .filter_map(|n| {
            n.strip_prefix("beamgram:plugin/").and_then(|rest| rest.split_once('@')).map(|(_, v)| v.to_string())
        })
        .find(|v| v != HOST_API)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatibility() {
        assert!(check("p", "0.2.0").is_ok());
        assert!(check("p", "0.2.7").is_ok(), "patch versions are compatible");
        let e = check("p", "0.1.0").unwrap_err();
        assert!(e.contains("beamgram:plugin@0.1.0") && e.contains(HOST_API), "{e}");
        assert!(check("p", "9.0.0").is_err());
        assert!(check("p", "banana").is_err());
        assert_eq!(imported_version(["beamgram:plugin/log@0.1.0".to_string()].into_iter()), Some("0.1.0".into()));
        assert_eq!(
            imported_version(["beamgram:plugin/log@0.2.0".to_string(), "wasi:cli/stdout@0.2.0".into()].into_iter()),
            None
        );
    }
}
