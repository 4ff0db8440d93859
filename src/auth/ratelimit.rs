//! Failed-login throttling per account and per client address (in memory: a restart forgets it, which only
//! ever gives an attacker one more window).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(300);

pub struct RateLimiter {
    max_failures: u32,
    failures: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    #[must_use]
    pub fn new(max_failures: u32) -> RateLimiter {
        RateLimiter {
            max_failures: max_failures.max(1),
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds to wait)` when any of `keys` has used up its failures in the current window.
    pub fn check(&self, keys: &[String]) -> Result<(), u64> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        map.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        for key in keys {
            if let Some((start, n)) = map.get(key) {
                if *n >= self.max_failures {
                    let left = WINDOW.saturating_sub(now.duration_since(*start));
                    return Err(left.as_secs().max(1));
                }
            }
        }
        Ok(())
    }

    /// Counts one failure against each key.
    pub fn failed(&self, keys: &[String]) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        for key in keys {
            let entry = map.entry(key.clone()).or_insert((now, 0));
            entry.1 = entry.1.saturating_add(1);
        }
    }

    /// A success clears the account's count (not the address's).
    pub fn succeeded(&self, account_key: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(account_key);
    }
}

/// Password checks (admin login, TAXII Basic auth) go through here: `max` failures per account and five times
/// that per client address (offices share one) within 5 minutes, then 429 until the window ends.
pub struct LoginGuard {
    accounts: RateLimiter,
    addresses: RateLimiter,
}

impl LoginGuard {
    #[must_use]
    pub fn new(max: u32) -> LoginGuard {
        LoginGuard {
            accounts: RateLimiter::new(max),
            addresses: RateLimiter::new(max.saturating_mul(5)),
        }
    }

    /// `Err(seconds to wait)` when the account or the address is blocked.
    pub fn check(&self, account: &str, address: &str) -> Result<(), u64> {
        self.accounts.check(&[account.to_string()])?;
        self.addresses.check(&[address.to_string()])
    }

    pub fn record(&self, account: &str, address: &str, ok: bool) {
        if ok {
            self.accounts.succeeded(account);
        } else {
            self.accounts.failed(&[account.to_string()]);
            self.addresses.failed(&[address.to_string()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_allowed_failures() {
        let rl = RateLimiter::new(3);
        let keys = vec!["user:a".to_string(), "ip:1".to_string()];
        for _ in 0..3 {
            assert!(rl.check(&keys).is_ok());
            rl.failed(&keys);
        }
        assert!(rl.check(&keys).is_err());
        assert!(rl.check(&["user:b".to_string()]).is_ok());
        rl.succeeded("user:a");
        assert!(rl.check(&["user:a".to_string()]).is_ok());
        assert!(
            rl.check(&["ip:1".to_string()]).is_err(),
            "the address stays blocked"
        );
    }

    #[test]
    fn addresses_get_five_times_the_accounts_allowance() {
        let guard = LoginGuard::new(2);
        for i in 0..5 {
            let account = format!("user{i}");
            guard.record(&account, "10.0.0.1", false);
            guard.record(&account, "10.0.0.1", false);
            assert!(guard.check(&account, "10.0.0.2").is_err());
        }
        assert!(guard.check("fresh", "10.0.0.1").is_err());
        assert!(guard.check("fresh", "10.0.0.2").is_ok());
    }
}
