//! Typed CPU and memory quantities, printed the way Kubernetes prints them.
//!
//! ```
//! use kubeprint::{Cpu, Memory};
//! assert_eq!(Cpu::millis(500).to_string(), "500m");
//! assert_eq!(Cpu::cores(2).to_string(), "2");
//! assert_eq!(Memory::mib(128).to_string(), "128Mi");
//! assert_eq!("1.5Gi".parse::<Memory>().unwrap(), Memory::mib(1536));
//! assert_eq!("0.25".parse::<Cpu>().unwrap(), Cpu::millis(250));
//! assert!(Memory::gib(1) > Memory::mib(1000));
//! ```

use crate::error::Error;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use std::fmt;
use std::str::FromStr;

const NANO: i128 = 1_000_000_000;

/// The largest value [`parse_nano`] returns: quantities beyond it (the apiserver holds them
/// with arbitrary precision and accepts them) saturate here and compare as "huge".
pub(crate) const HUGE: i128 = i128::MAX;

/// `digits` (ASCII digits, no sign) × 10^`exp` in nano-units, rounded up, saturating at [`HUGE`].
fn scaled(digits: &str, exp: i64) -> i128 {
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return 0;
    }
    let (kept, dropped) = if exp >= 0 {
        (digits, "")
    } else {
        let cut = usize::try_from(exp.unsigned_abs()).unwrap_or(usize::MAX);
        digits.split_at(digits.len().saturating_sub(cut))
    };
    // 39 digits and more exceed i128 (about 1.7 × 10³⁸); so does any exponent of 39 and more.
    let mut value: i128 = 0;
    for b in kept.bytes() {
        value = value
            .saturating_mul(10)
            .saturating_add(i128::from(b - b'0'));
    }
    if exp > 0 {
        let e = u32::try_from(exp).unwrap_or(u32::MAX);
        value = match 10i128.checked_pow(e) {
            Some(m) => value.saturating_mul(m),
            None => HUGE,
        };
    }
    if dropped.bytes().any(|b| b != b'0') {
        value = value.saturating_add(1);
    }
    value
}

/// Parses a Kubernetes quantity string into nano-units (value × 10⁹), rejecting negatives.
///
/// Any magnitude parses, as it does for the apiserver: what goes beyond `i128` saturates at
/// [`HUGE`]; fractions below a nano-unit round up. Never panics.
fn parse_nano(input: &str) -> Result<i128, Error> {
    let err = |message: &str| Error::Quantity {
        input: input.to_owned(),
        message: message.to_owned(),
    };
    let s = input.trim();
    if s.is_empty() {
        return Err(err("is empty"));
    }
    // (number, power of ten, power of two)
    let (number, exp10, shift): (&str, i64, u32) = {
        let binary = [
            ("Ki", 10),
            ("Mi", 20),
            ("Gi", 30),
            ("Ti", 40),
            ("Pi", 50),
            ("Ei", 60),
        ];
        let decimal = [
            ("n", -9),
            ("u", -6),
            ("m", -3),
            ("k", 3),
            ("M", 6),
            ("G", 9),
            ("T", 12),
            ("P", 15),
            ("E", 18),
        ];
        if let Some((n, shift)) = binary
            .iter()
            .find_map(|(suf, sh)| s.strip_suffix(suf).map(|n| (n, *sh)))
        {
            (n, 0, shift)
        } else if let Some((n, exp)) = decimal
            .iter()
            .find_map(|(suf, e)| s.strip_suffix(suf).map(|n| (n, *e)))
        {
            (n, exp, 0)
        } else if let Some(pos) = s.find(['e', 'E']) {
            // The apiserver reads the exponent as a (32-bit) integer.
            let exp: i32 = s[pos + 1..]
                .parse()
                .map_err(|_| err("has an invalid exponent"))?;
            (&s[..pos], i64::from(exp), 0)
        } else {
            (s, 0, 0)
        }
    };
    if number.starts_with('-') {
        return Err(err("must not be negative"));
    }
    let number = number.strip_prefix('+').unwrap_or(number);
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if int.is_empty() && frac.is_empty() {
        return Err(err("has no number"));
    }
    if !int.bytes().all(|c| c.is_ascii_digit()) || !frac.bytes().all(|c| c.is_ascii_digit()) {
        return Err(err(
            "is not a number with an optional suffix (m, Ki, Mi, Gi, k, M, G, ...)",
        ));
    }
    let digits = format!("{int}{frac}");
    let frac_len = i64::try_from(frac.len()).unwrap_or(i64::MAX);
    let exp = (9 + exp10).saturating_sub(frac_len);
    if shift == 0 {
        return Ok(scaled(&digits, exp));
    }
    // Binary suffixes: digits × 2^shift × 10^exp, multiplying first where that fits.
    let exact = scaled(&digits, 0);
    Ok(match exact.checked_mul(1i128 << shift) {
        Some(v) if v < HUGE => scaled(&v.to_string(), exp),
        _ => scaled(&digits, exp).saturating_mul(1i128 << shift),
    })
}

/// `n / d` rounded up, for `n ≥ 0`, `d > 0` (never overflows).
pub(crate) fn div_up(n: i128, d: i128) -> i128 {
    n / d + i128::from(n % d != 0)
}

/// A CPU quantity, held in millicores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cpu(u64);

impl Cpu {
    /// `n` thousandths of a core (`500m`).
    pub const fn millis(n: u64) -> Self {
        Cpu(n)
    }

    /// `n` whole cores (saturating at `u64::MAX` millicores).
    pub const fn cores(n: u64) -> Self {
        Cpu(n.saturating_mul(1000))
    }

    /// The quantity in millicores.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The quantity as `k8s-openapi` holds it.
    pub fn to_quantity(self) -> Quantity {
        Quantity(self.to_string())
    }
}

impl fmt::Display for Cpu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(1000) {
            write!(f, "{}", self.0 / 1000)
        } else {
            write!(f, "{}m", self.0)
        }
    }
}

impl FromStr for Cpu {
    type Err = Error;
    /// Parses `250m`, `0.5`, `2`; values below a millicore round up, as Kubernetes does.
    fn from_str(s: &str) -> Result<Self, Error> {
        let nano = parse_nano(s)?;
        let millis = div_up(nano, 1_000_000);
        u64::try_from(millis).map(Cpu).map_err(|_| Error::Quantity {
            input: s.to_owned(),
            message: "is too large".into(),
        })
    }
}

/// A memory or storage quantity, held in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Memory(u64);

/// Storage sizes (PersistentVolumeClaims, emptyDir limits) are byte quantities too.
pub type Storage = Memory;

impl Memory {
    /// `n` bytes.
    pub const fn bytes(n: u64) -> Self {
        Memory(n)
    }
    /// `n` kibibytes (`Ki`).
    pub const fn kib(n: u64) -> Self {
        Memory(n.saturating_mul(1 << 10))
    }
    /// `n` mebibytes (`Mi`).
    pub const fn mib(n: u64) -> Self {
        Memory(n.saturating_mul(1 << 20))
    }
    /// `n` gibibytes (`Gi`).
    pub const fn gib(n: u64) -> Self {
        Memory(n.saturating_mul(1 << 30))
    }
    /// `n` tebibytes (`Ti`).
    pub const fn tib(n: u64) -> Self {
        Memory(n.saturating_mul(1 << 40))
    }
    /// `n` megabytes (`M`, 10⁶ bytes).
    pub const fn mb(n: u64) -> Self {
        Memory(n.saturating_mul(1_000_000))
    }
    /// `n` gigabytes (`G`, 10⁹ bytes).
    pub const fn gb(n: u64) -> Self {
        Memory(n.saturating_mul(1_000_000_000))
    }

    /// The quantity in bytes.
    pub const fn as_bytes(self) -> u64 {
        self.0
    }

    /// The quantity as `k8s-openapi` holds it.
    pub fn to_quantity(self) -> Quantity {
        Quantity(self.to_string())
    }
}

impl fmt::Display for Memory {
    /// The largest binary suffix that divides exactly, else the largest decimal one, else bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        if n == 0 {
            return f.write_str("0");
        }
        for (suffix, shift) in [
            ("Ei", 60),
            ("Pi", 50),
            ("Ti", 40),
            ("Gi", 30),
            ("Mi", 20),
            ("Ki", 10),
        ] {
            if n.is_multiple_of(1u64 << shift) {
                return write!(f, "{}{suffix}", n >> shift);
            }
        }
        for (suffix, div) in [
            ("E", 10u64.pow(18)),
            ("P", 10u64.pow(15)),
            ("T", 10u64.pow(12)),
            ("G", 10u64.pow(9)),
            ("M", 10u64.pow(6)),
            ("k", 1000),
        ] {
            if n.is_multiple_of(div) {
                return write!(f, "{}{suffix}", n / div);
            }
        }
        write!(f, "{n}")
    }
}

impl FromStr for Memory {
    type Err = Error;
    /// Parses `128Mi`, `1.5Gi`, `1G`, `512`; fractions of a byte round up.
    fn from_str(s: &str) -> Result<Self, Error> {
        let nano = parse_nano(s)?;
        let bytes = div_up(nano, NANO);
        u64::try_from(bytes)
            .map(Memory)
            .map_err(|_| Error::Quantity {
                input: s.to_owned(),
                message: "is too large".into(),
            })
    }
}

/// Checks that a `k8s-openapi` quantity string parses (used when validating raw objects).
pub(crate) fn check_quantity(q: &Quantity) -> Option<String> {
    parse_nano(&q.0).err().map(|e| match e {
        Error::Quantity { input, message } => format!("{input:?} {message}"),
        other => other.to_string(),
    })
}

/// A quantity in nano-units (value × 10⁹); `None` when it does not parse.
pub(crate) fn quantity_nanos(q: &Quantity) -> Option<i128> {
    parse_nano(&q.0).ok()
}

/// Compares two quantity strings; `None` when either does not parse.
pub(crate) fn quantity_cmp(a: &Quantity, b: &Quantity) -> Option<std::cmp::Ordering> {
    Some(parse_nano(&a.0).ok()?.cmp(&parse_nano(&b.0).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_round_trip() {
        for (s, m) in [
            ("100m", 100),
            ("1", 1000),
            ("1.5", 1500),
            ("0.1", 100),
            ("2k", 2_000_000),
            ("1e3", 1_000_000),
            ("1n", 1),
        ] {
            assert_eq!(s.parse::<Cpu>().unwrap(), Cpu::millis(m), "{s}");
        }
        assert_eq!(Cpu::millis(1500).to_string(), "1500m");
    }

    #[test]
    fn memory_round_trip() {
        for (s, b) in [
            ("1Ki", 1024u64),
            ("64Mi", 64 << 20),
            ("1G", 1_000_000_000),
            ("0.5Gi", 512 << 20),
            ("1e3", 1000),
            ("129M", 129_000_000),
        ] {
            let m: Memory = s.parse().unwrap();
            assert_eq!(m.as_bytes(), b, "{s}");
            assert_eq!(m.to_string().parse::<Memory>().unwrap(), m);
        }
        assert_eq!(Memory::bytes(1000).to_string(), "1k");
        assert_eq!(Memory::bytes(1001).to_string(), "1001");
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "-1",
            "abc",
            "1.2.3",
            "1Xi",
            "Mi",
            "1e99",
            "99999999999999999999999Ei",
        ] {
            assert!(s.parse::<Memory>().is_err(), "{s}");
        }
        // Too large for the typed values, but never a panic.
        let e = "1e99".parse::<Memory>().unwrap_err();
        assert_eq!(e.to_string(), r#"quantity "1e99": is too large"#);
        let e = "12q".parse::<Cpu>().unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"quantity "12q": is not a number with an optional suffix (m, Ki, Mi, Gi, k, M, G, ...)"#
        );
    }

    #[test]
    fn huge_quantities_saturate_and_pass_like_the_apiserver() {
        // The input that made `Memory::from_str` overflow in debug builds (issue #13).
        let cited = "17014118346046923173.168730371588410572e10";
        assert!(cited.parse::<Memory>().is_err());
        assert!(cited.parse::<Cpu>().is_err());
        // Seven below i128::MAX nano-units: the rounding up of the old code overflowed here.
        assert_eq!(quantity_nanos(&Quantity(cited.into())), Some(HUGE - 7));
        assert_eq!(check_quantity(&Quantity(cited.into())), None);
        for s in [
            "1e99",
            "1E2147483647",
            "99999999999999999999999Ei",
            "999999999999999999999999999999999999999999999",
            "170141183460469231731687303715884105727Ei",
        ] {
            let q = Quantity(s.into());
            assert_eq!(check_quantity(&q), None, "{s}");
            assert_eq!(quantity_nanos(&q), Some(HUGE), "{s}");
        }
        // Tiny ones round up to a nano-unit; zero stays zero.
        assert_eq!(quantity_nanos(&Quantity("1e-2147483648".into())), Some(1));
        assert_eq!(quantity_nanos(&Quantity("0.0000000000001".into())), Some(1));
        assert_eq!(quantity_nanos(&Quantity("000e-50".into())), Some(0));
        // Exact where it fits.
        assert_eq!(
            quantity_nanos(&Quantity("1.5Ei".into())),
            Some(3 * (1i128 << 59) * NANO)
        );
        assert_eq!(
            quantity_nanos(&Quantity("0.001Ki".into())),
            Some(1_024_000_000)
        );
        assert_eq!(quantity_nanos(&Quantity("12e-3".into())), Some(12_000_000));
        assert_eq!(
            quantity_cmp(&Quantity("1e40".into()), &Quantity("1Ei".into())),
            Some(std::cmp::Ordering::Greater)
        );
        // Builders saturate rather than overflow.
        assert_eq!(Cpu::cores(u64::MAX).as_millis(), u64::MAX);
        assert_eq!(Memory::gib(u64::MAX).as_bytes(), u64::MAX);
        assert_eq!(Memory::gb(u64::MAX).as_bytes(), u64::MAX);
    }
}
