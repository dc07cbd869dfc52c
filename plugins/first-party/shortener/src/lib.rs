//! Per-user link shortener: `/base_site <domain>` and `/api <key>`, `/shortener` to see it,
//! `/shortener off` to stop. Only sites the operator allows (`links.shortener_sites`); once set,
//! every link the bot gives the user goes through it (the host's `links.shorten`).

use beamgram_plugin::prelude::*;
use beamgram_plugin::{links, users};

struct Shortener;

const SITE: &str = "shortener.site";
const KEY: &str = "shortener.key";

fn set(user: i64, key: &str, value: Option<&str>) -> Result<(), PluginError> {
    users::set_setting(user, key, value).map_err(|e| failed(format!("saving the setting: {e:?}")))
}

fn get(user: i64, key: &str) -> Option<String> {
    users::get_setting(user, key).ok().flatten()
}

/// Once both halves are set, one test link tells the user at once whether it works.
fn try_it(user: i64) -> String {
    let (Some(site), Some(_)) = (get(user, SITE), get(user, KEY)) else {
        return match get(user, SITE) {
            Some(_) => "Now send your API key: /api <key>".into(),
            None => "Now choose the site: /base_site <domain>".into(),
        };
    };
    match links::shorten(user, "https://telegram.org/") {
        Ok(short) => format!("✅ {site} works (test link: {short}). Your links will be shortened from now on."),
        Err(e) => format!(
            "⚠️ {site} did not shorten a test link ({}). Until it does, you get plain links.",
            match e {
                beamgram_plugin::HostError::Failed(s) | beamgram_plugin::HostError::Limit(s) => s,
                other => format!("{other:?}"),
            }
        ),
    }
}

fn mask(key: &str) -> String {
    let shown: String = key.chars().take(4).collect();
    format!("{shown}…({} characters)", key.chars().count())
}

impl Plugin for Shortener {
    fn info() -> PluginInfo {
        PluginInfo::new("shortener", env!("CARGO_PKG_VERSION"))
            .command("base_site", "Shorten your links with this site: /base_site <domain>")
            .command("api", "Your shortener API key: /api <key>")
            .command("shortener", "Your shortener; /shortener off to stop")
            .permission(Permission::UserData, "to keep each user's shortener site and key")
            .permission(Permission::Links, "to test the shortener once it is set")
    }

    fn on_command(c: Command) -> Outcome {
        let user = c.user_id;
        let sites = links::shortener_sites();
        match c.name.as_str() {
            "base_site" => {
                if sites.is_empty() {
                    return Err(bad_input("Link shortening is not enabled on this bot."));
                }
                let Some(site) = c.args.first() else {
                    return Err(bad_input(format!("Usage: /base_site <domain>\nAllowed: {}", sites.join(", "))));
                };
                let site = site.trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/');
                let site = site.to_ascii_lowercase();
                if !sites.iter().any(|s| s.eq_ignore_ascii_case(&site)) {
                    return Err(bad_input(format!("{site} is not allowed here. Allowed: {}", sites.join(", "))));
                }
                set(user, SITE, Some(&site))?;
                Ok(vec![reply(format!("Shortener site set to {site}. {}", try_it(user)))])
            }
            "api" => {
                let Some(key) = c.args.first().filter(|k| k.len() <= 200) else {
                    return Err(bad_input("Usage: /api <your API key from the shortener's site>"));
                };
                set(user, KEY, Some(key))?;
                Ok(vec![reply(format!("API key saved ({}). {}", mask(key), try_it(user)))])
            }
            _ => {
                if c.args.first().is_some_and(|a| a.eq_ignore_ascii_case("off")) {
                    set(user, SITE, None)?;
                    set(user, KEY, None)?;
                    return Ok(vec![reply("Shortener off: your links are plain again.")]);
                }
                let text = match (get(user, SITE), get(user, KEY)) {
                    (Some(site), Some(key)) => {
                        format!("Your shortener: {site}, key {}. /shortener off to stop.", mask(&key))
                    }
                    (Some(site), None) => format!("Site {site} is set; send your key with /api <key>."),
                    _ if sites.is_empty() => "Link shortening is not enabled on this bot.".into(),
                    _ => format!(
                        "No shortener set. Allowed sites: {}.\nSet one with /base_site <domain>, then /api <key>.",
                        sites.join(", ")
                    ),
                };
                Ok(vec![reply(text)])
            }
        }
    }
}

beamgram_plugin::register!(Shortener);
