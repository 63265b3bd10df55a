//! Per-tenant settings: authentication, polling, artifact links.

use std::time::Duration;

/// How a tenant authenticates controllers and how it answers polls.
#[derive(Clone)]
pub struct TenantConfig {
    /// Accept `Authorization: TargetToken <token>` (hawkBit's
    /// `authentication.targettoken.enabled`). Default: on.
    pub target_token: bool,
    /// Accept `Authorization: GatewayToken <this>`. Default: none.
    pub gateway_token: Option<String>,
    /// Accept a TLS client certificate whose subject CN equals the controller
    /// id (hawkBit behind a proxy forwarding `X-Controller-Id`); needs
    /// [`crate::ddi::DdiServerBuilder::tls`] with a client CA. Default: off.
    pub client_certificate: bool,
    /// Accept requests without credentials (authentication switched off).
    /// Default: off, so a request without credentials gets 401.
    pub anonymous: bool,
    /// Register unknown controllers on `GET` of the root resource or of
    /// `confirmationBase` ("plug and play"). Default: on.
    pub auto_register: bool,
    /// The polling interval announced in `config.polling.sleep`. Default 5 min.
    pub polling_time: Duration,
    /// Randomise each poll's sleep by up to ± this many percent (hawkBit's
    /// `pollingTime` suffix `~NN%`); the answer then changes on every poll,
    /// which defeats the ETag as it does on the real server. Default 0.
    pub polling_jitter_percent: u8,
    /// Lower bound for the sleep (shortened by a maintenance window or by
    /// jitter). Default 30 s.
    pub min_polling_time: Duration,
    /// Polls per gap before a maintenance window (hawkBit's
    /// `maintenanceWindowPollCount`). Default 3.
    pub maintenance_window_poll_count: u32,
    /// Status entries an action may hold before intermediate feedback gets a
    /// quota 429. Default 1000.
    pub max_status_entries_per_action: usize,
    /// Messages one status entry may hold. Default 50.
    pub max_messages_per_status: usize,
    /// Attributes a controller may hold. Default 100.
    pub max_attributes: usize,
    /// Keep several actions open per controller instead of cancelling the
    /// older one on a new assignment (hawkBit's multi-assignment). Default off.
    pub multi_assignment: bool,
}

impl std::fmt::Debug for TenantConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantConfig")
            .field("target_token", &self.target_token)
            .field(
                "gateway_token",
                &self.gateway_token.as_ref().map(|_| "<redacted>"),
            )
            .field("client_certificate", &self.client_certificate)
            .field("anonymous", &self.anonymous)
            .field("auto_register", &self.auto_register)
            .field("polling_time", &self.polling_time)
            .field("polling_jitter_percent", &self.polling_jitter_percent)
            .field("min_polling_time", &self.min_polling_time)
            .field(
                "maintenance_window_poll_count",
                &self.maintenance_window_poll_count,
            )
            .field(
                "max_status_entries_per_action",
                &self.max_status_entries_per_action,
            )
            .field("max_messages_per_status", &self.max_messages_per_status)
            .field("max_attributes", &self.max_attributes)
            .field("multi_assignment", &self.multi_assignment)
            .finish()
    }
}

impl Default for TenantConfig {
    fn default() -> Self {
        Self {
            target_token: true,
            gateway_token: None,
            client_certificate: false,
            anonymous: false,
            auto_register: true,
            polling_time: Duration::from_secs(300),
            polling_jitter_percent: 0,
            min_polling_time: Duration::from_secs(30),
            maintenance_window_poll_count: 3,
            max_status_entries_per_action: 1000,
            max_messages_per_status: 50,
            max_attributes: 100,
            multi_assignment: false,
        }
    }
}

impl TenantConfig {
    /// No authentication at all, auto-registration on: the simplest setup for
    /// a test that is not about credentials.
    pub fn anonymous() -> Self {
        Self {
            anonymous: true,
            ..Self::default()
        }
    }

    /// Gateway-token authentication with `token`.
    pub fn with_gateway_token(token: impl Into<String>) -> Self {
        Self {
            gateway_token: Some(token.into()),
            ..Self::default()
        }
    }
}

/// Where artifact links point and which rels they use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactLinks {
    /// The origin of the download links.
    pub origin: LinkOrigin,
    /// The rel names of the download and MD5SUM links.
    pub rels: Vec<(String, String)>,
}

/// The host artifact links point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkOrigin {
    /// The DDI server itself (`softwaremodules/{id}/artifacts/{name}`).
    Server,
    /// The second listener, standing in for a CDN or blob store: it serves
    /// the same bytes without authentication and records the headers it got.
    Cdn,
}

impl Default for ArtifactLinks {
    /// A stock hawkBit: only `download-http` and `md5sum-http`, on the server.
    fn default() -> Self {
        Self {
            origin: LinkOrigin::Server,
            rels: vec![("download-http".into(), "md5sum-http".into())],
        }
    }
}

impl ArtifactLinks {
    /// All four rels (`download`, `download-http`, `md5sum`, `md5sum-http`).
    pub fn all_four(origin: LinkOrigin) -> Self {
        Self {
            origin,
            rels: vec![
                ("download".into(), "md5sum".into()),
                ("download-http".into(), "md5sum-http".into()),
            ],
        }
    }
}

/// `base` moved by a random fraction in `[-percent, +percent]`, at least
/// `min`, with millisecond precision.
pub(crate) fn jittered(base: Duration, percent: u8, min: Duration) -> Duration {
    use std::sync::atomic::{AtomicU64, Ordering};
    // a shared xorshift state: cheap, good enough to spread polls
    static STATE: AtomicU64 = AtomicU64::new(0x2545_F491_4F6C_DD1D);
    let mut x = STATE.load(Ordering::Relaxed);
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    STATE.store(x, Ordering::Relaxed);
    let unit = (x >> 11) as f64 / (1_u64 << 53) as f64; // [0, 1)
    let factor = 1.0 + f64::from(percent.min(100)) / 100.0 * (2.0 * unit - 1.0);
    let millis = (base.as_millis() as f64 * factor).round().max(0.0) as u64;
    Duration::from_millis(millis).max(min)
}

/// `config.polling.sleep` as hawkBit writes it: `HH:mm:ss` below one day,
/// otherwise a Java `Duration` string such as `PT36H30M`.
pub fn format_sleep(d: Duration) -> String {
    let secs = d.as_secs();
    if secs < 86_400 {
        return format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    }
    let mut out = format!("PT{}H", secs / 3600);
    if !(secs / 60).is_multiple_of(60) {
        out.push_str(&format!("{}M", secs / 60 % 60));
    }
    let (s, nanos) = (secs % 60, d.subsec_nanos());
    if nanos != 0 {
        let frac = format!("{nanos:09}");
        out.push_str(&format!("{s}.{}S", frac.trim_end_matches('0')));
    } else if s != 0 {
        out.push_str(&format!("{s}S"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn sleep_below_a_day_is_hh_mm_ss(secs in 0_u64..86_400) {
            let s = format_sleep(Duration::from_secs(secs));
            let parts: Vec<u64> = s.split(':').map(|p| p.parse().unwrap()).collect();
            proptest::prop_assert_eq!(parts.len(), 3);
            proptest::prop_assert_eq!(parts[0] * 3600 + parts[1] * 60 + parts[2], secs);
        }

        #[test]
        fn sleep_from_a_day_is_a_java_duration(secs in 86_400_u64..10_000_000) {
            let s = format_sleep(Duration::from_secs(secs));
            let rest = s.strip_prefix("PT").unwrap();
            let (hours, rest) = rest.split_once('H').unwrap();
            let mut total = hours.parse::<u64>().unwrap() * 3600;
            let rest = match rest.split_once('M') {
                Some((m, r)) => { total += m.parse::<u64>().unwrap() * 60; r }
                None => rest,
            };
            if let Some(sec) = rest.strip_suffix('S') {
                total += sec.parse::<u64>().unwrap();
            } else {
                proptest::prop_assert_eq!(rest, "");
            }
            proptest::prop_assert_eq!(total, secs);
        }
    }

    #[test]
    fn debug_output_hides_the_gateway_token() {
        let text = format!("{:?}", TenantConfig::with_gateway_token("s3cr3t"));
        assert!(
            !text.contains("s3cr3t") && text.contains("<redacted>"),
            "{text}"
        );
    }

    #[test]
    fn jitter_stays_in_its_band_and_varies() {
        let base = Duration::from_secs(100);
        let samples: Vec<Duration> = (0..200)
            .map(|_| jittered(base, 10, Duration::from_secs(30)))
            .collect();
        assert!(
            samples
                .iter()
                .all(|d| *d >= Duration::from_secs(90) && *d <= Duration::from_secs(110))
        );
        assert!(samples.iter().any(|d| *d != samples[0]), "jitter varies");
        assert_eq!(jittered(base, 0, Duration::ZERO), base);
        assert_eq!(
            jittered(Duration::from_secs(10), 50, Duration::from_secs(30)),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn sleep_formats_like_hawkbit() {
        assert_eq!(format_sleep(Duration::from_secs(300)), "00:05:00");
        assert_eq!(format_sleep(Duration::from_secs(86_399)), "23:59:59");
        assert_eq!(format_sleep(Duration::from_secs(86_400)), "PT24H");
        assert_eq!(
            format_sleep(Duration::from_secs(36 * 3600 + 1800)),
            "PT36H30M"
        );
        assert_eq!(format_sleep(Duration::from_millis(86_400_500)), "PT24H0.5S");
    }
}
