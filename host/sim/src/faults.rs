//! Faults and network conditions a test (or `beamgram sim`'s flags) can impose on the simulator.

use std::time::Duration;

/// How a simulated DC's link behaves, per connection: Telegram caps bandwidth per connection,
/// which is why clients open several.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LinkProfile {
    /// Added between a request's arrival and its answer leaving (one full round trip).
    pub rtt: Duration,
    /// Bytes per second the server sends on one connection; `None` is unlimited.
    pub bandwidth: Option<u64>,
}

/// What an injected fault does to the call it hits.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// `420 FLOOD_WAIT_<secs>`.
    FloodWait(u32),
    /// Rotates the requested file's reference, then fails like Telegram does for stale ones.
    FileReferenceExpired,
    /// `500 INTERNAL`-style server error.
    Internal,
    /// The server closes the TCP connection instead of answering.
    DropConnection,
    /// Any other RPC error.
    Rpc { code: i32, name: String },
}

/// A fault that applies to matching calls.
#[derive(Clone, Debug)]
pub struct FaultRule {
    /// TL method name as Telegram spells it (`upload.getFile`), or any method.
    pub method: Option<String>,
    /// Only calls to this DC, or any.
    pub dc: Option<i32>,
    /// Only calls made by this account (a bot, through any of its sessions), or anyone's.
    pub account: Option<i64>,
    /// Matching calls let through before the fault starts.
    pub skip: u32,
    /// How many matching calls fail (after `skip`).
    pub times: u32,
    pub fault: Fault,
}

impl FaultRule {
    pub fn new(method: impl Into<String>, fault: Fault) -> Self {
        Self { method: Some(method.into()), dc: None, account: None, skip: 0, times: 1, fault }
    }

    pub fn skip(mut self, n: u32) -> Self {
        self.skip = n;
        self
    }

    pub fn times(mut self, n: u32) -> Self {
        self.times = n;
        self
    }

    pub fn on_dc(mut self, dc: i32) -> Self {
        self.dc = Some(dc);
        self
    }

    /// Only `account`'s calls (one bot among several) fail.
    pub fn for_account(mut self, account: i64) -> Self {
        self.account = Some(account);
        self
    }
}

#[derive(Default)]
pub struct Faults {
    rules: Vec<FaultRule>,
    /// How many times a fault fired, for tests that want to know it really did.
    pub fired: u64,
}

impl Faults {
    pub fn add(&mut self, rule: FaultRule) {
        self.rules.push(rule);
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    pub fn armed(&self) -> &[FaultRule] {
        &self.rules
    }

    /// The fault for this call, if a rule matches and has one to give.
    pub fn take(&mut self, method: &str, dc: i32, account: Option<i64>) -> Option<Fault> {
        let rule = self.rules.iter_mut().find(|r| {
            r.times > 0
                && r.method.as_deref().is_none_or(|m| m == method)
                && r.dc.is_none_or(|d| d == dc)
                && r.account.is_none_or(|a| Some(a) == account)
        })?;
        if rule.skip > 0 {
            rule.skip -= 1;
            return None;
        }
        rule.times -= 1;
        self.fired += 1;
        let fault = rule.fault.clone();
        self.rules.retain(|r| r.times > 0);
        Some(fault)
    }
}

/// Parses the `beamgram sim --fault` syntax: `METHOD=FAULT[@DC][,skip=N][,times=N]`, with FAULT
/// one of `flood:SECS`, `file_reference_expired`, `internal`, `drop`, `rpc:CODE:NAME`.
pub fn parse_rule(text: &str) -> Result<FaultRule, String> {
    let mut parts = text.split(',');
    let head = parts.next().unwrap_or_default();
    let (method, fault) = head
        .split_once('=')
        .ok_or_else(|| format!("fault '{text}' is not METHOD=FAULT (e.g. upload.getFile=flood:3)"))?;
    let (fault, dc) = match fault.split_once('@') {
        Some((f, dc)) => (f, Some(dc.parse::<i32>().map_err(|_| format!("bad DC '{dc}' in fault '{text}'"))?)),
        None => (fault, None),
    };
    let fault = match fault.split(':').collect::<Vec<_>>().as_slice() {
        ["flood", secs] => Fault::FloodWait(secs.parse().map_err(|_| format!("bad seconds in '{text}'"))?),
        ["file_reference_expired"] => Fault::FileReferenceExpired,
        ["internal"] => Fault::Internal,
        ["drop"] => Fault::DropConnection,
        ["rpc", code, name] => {
            Fault::Rpc { code: code.parse().map_err(|_| format!("bad code in '{text}'"))?, name: (*name).to_string() }
        }
        _ => {
            return Err(format!(
                "unknown fault '{fault}' (flood:SECS, file_reference_expired, internal, drop, rpc:CODE:NAME)"
            ));
        }
    };
    let mut rule =
        FaultRule { method: (method != "*").then(|| method.to_string()), dc, account: None, skip: 0, times: 1, fault };
    for opt in parts {
        match opt.split_once('=') {
            Some(("skip", n)) => rule.skip = n.parse().map_err(|_| format!("bad skip in '{text}'"))?,
            Some(("times", n)) => rule.times = n.parse().map_err(|_| format!("bad times in '{text}'"))?,
            _ => {
                return Err(format!("unknown option '{opt}' in fault '{text}' (skip=N, times=N)"));
            }
        }
    }
    Ok(rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_skip_then_fire_then_expire() {
        let mut f = Faults::default();
        f.add(FaultRule::new("upload.getFile", Fault::FloodWait(2)).skip(1).times(2));
        assert_eq!(f.take("upload.getFile", 2, None), None);
        assert_eq!(f.take("messages.sendMessage", 2, None), None);
        assert_eq!(f.take("upload.getFile", 2, None), Some(Fault::FloodWait(2)));
        assert_eq!(f.take("upload.getFile", 4, None), Some(Fault::FloodWait(2)));
        assert_eq!(f.take("upload.getFile", 2, None), None);
        // A rule for one account leaves the others alone.
        f.add(FaultRule::new("messages.sendMessage", Fault::FloodWait(9)).for_account(7));
        assert_eq!(f.take("messages.sendMessage", 2, Some(8)), None);
        assert_eq!(f.take("messages.sendMessage", 2, None), None);
        assert_eq!(f.take("messages.sendMessage", 2, Some(7)), Some(Fault::FloodWait(9)));
        assert_eq!(f.fired, 3);
    }

    #[test]
    fn parses_the_flag_syntax() {
        let r = parse_rule("upload.getFile=flood:3@4,skip=2,times=5").expect("parses");
        assert_eq!((r.method.as_deref(), r.dc, r.skip, r.times), (Some("upload.getFile"), Some(4), 2, 5));
        assert_eq!(r.fault, Fault::FloodWait(3));
        assert!(parse_rule("*=drop").expect("parses").method.is_none());
        assert!(parse_rule("upload.getFile").is_err());
        assert!(parse_rule("x=boom").is_err());
    }
}
