//! The per-key access data RDB carries under eviction policies: Redis 7.0
//! writes an IDLE opcode (seconds since last access) before every key under
//! an LRU `maxmemory-policy`, and a FREQ opcode (the decayed LFU counter)
//! under an LFU one; nothing otherwise. Loading turns them back into the
//! object's 24-bit `lru` field relative to the loader's clock.

use crate::engine::EngineConfig;

/// Redis's LRU clock wraps at 24 bits of seconds.
const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// LFU counter of a new object.
const LFU_INIT_VAL: u32 = 5;

/// Which access opcode a writer puts before each key, with the clock it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum KeyAccess {
    /// No access data (every non-LRU, non-LFU policy).
    #[default]
    None,
    /// IDLE: seconds since last access, from the `lru` field at `now_ms`.
    Idle { now_ms: i64 },
    /// FREQ: the LFU counter after `lfu_decay_time` decay at `now_ms`.
    Freq { now_ms: i64, lfu_decay_time: u32 },
}

impl KeyAccess {
    /// What Redis writes under `config`'s `maxmemory-policy` at `now_ms`.
    pub fn from_config(config: &EngineConfig, now_ms: i64) -> KeyAccess {
        let policy = config.maxmemory_policy;
        if policy.is_lfu() {
            KeyAccess::Freq { now_ms, lfu_decay_time: config.lfu_decay_time }
        } else if policy.tracks_access() {
            KeyAccess::Idle { now_ms }
        } else {
            KeyAccess::None
        }
    }
}

pub fn lru_clock(now_ms: i64) -> u32 {
    ((now_ms / 1000) as u64 & LRU_CLOCK_MAX as u64) as u32
}

fn lfu_minutes(now_ms: i64) -> u32 {
    ((now_ms / 1000 / 60) as u64 & 0xffff) as u32
}

/// Seconds since the access recorded in an LRU `lru` field.
pub fn idle_seconds(lru: u32, now_ms: i64) -> u64 {
    let now = lru_clock(now_ms);
    let ticks = if now >= lru { now - lru } else { now + (LRU_CLOCK_MAX - lru) };
    ticks as u64
}

/// The LFU counter of an LFU `lru` field after decay (Redis's `LFUDecrAndReturn`).
pub fn lfu_counter(lru: u32, now_ms: i64, decay_minutes: u32) -> u8 {
    let last = lru >> 8;
    let counter = lru & 255;
    let now = lfu_minutes(now_ms);
    let elapsed = if now >= last { now - last } else { 65535 - last + now };
    let periods = elapsed.checked_div(decay_minutes).unwrap_or(0);
    counter.saturating_sub(periods) as u8
}

/// The `lru` field of a key just loaded: from its FREQ byte under LFU, from
/// its IDLE seconds otherwise, and as a new object when the file has neither.
pub fn loaded_lru(lfu: bool, now_ms: i64, idle: Option<u64>, freq: Option<u8>) -> u32 {
    if lfu {
        let counter = freq.map_or(LFU_INIT_VAL, u32::from);
        return (lfu_minutes(now_ms) << 8) | counter;
    }
    let clock = lru_clock(now_ms) as i64;
    match idle {
        Some(secs) => {
            let secs = secs.min(i64::MAX as u64) as i64;
            let mut abs = clock.saturating_sub(secs);
            if abs < 0 {
                // Redis adds the clock's period once to bring it back in range.
                abs = abs.saturating_add(LRU_CLOCK_MAX as i64);
            }
            abs.clamp(0, LRU_CLOCK_MAX as i64) as u32
        }
        None => clock as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_round_trips_through_load() {
        let now = 1_700_000_000_000;
        let lru = lru_clock(now - 250_000);
        let idle = idle_seconds(lru, now);
        assert_eq!(idle, 250);
        assert_eq!(loaded_lru(false, now, Some(idle), None), lru);
        assert_eq!(loaded_lru(false, now, None, None), lru_clock(now));
    }

    #[test]
    fn lfu_counter_decays_per_period() {
        let now = 1_700_000_000_000;
        let lru = (lfu_minutes(now - 3 * 60_000) << 8) | 10;
        assert_eq!(lfu_counter(lru, now, 1), 7);
        assert_eq!(lfu_counter(lru, now, 0), 10);
        assert_eq!(loaded_lru(true, now, None, Some(7)) & 255, 7);
        assert_eq!(loaded_lru(true, now, Some(3), None) & 255, LFU_INIT_VAL);
    }
}
