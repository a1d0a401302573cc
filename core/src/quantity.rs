//! Exact resource quantities (`resource.Quantity`): parsing every suffix Kubernetes accepts,
//! exact arithmetic in nano-units, `MilliValue`/`Value` rounding up as upstream does, and the
//! canonical string form the API server stores and prints (`1.5Gi` → `1536Mi`, `0.5` → `500m`).
//!
//! Out-of-range values follow `ParseQuantity`: a binary (`Ki`…`Ei`) quantity above 2^63−1 units
//! is capped there (`99999999999999999999999Ti` is `9223372036854775807`), and a value below one
//! nano-unit rounds up to one (`1e-400` is `1e-9`). Known difference: a decimal quantity beyond about
//! 10^29 units (`1e400`) is refused with `unable to parse numeric part of quantity`, where the
//! API server keeps it exactly (its own int64 arithmetic on it then overflows).

use std::cmp::Ordering;
use std::fmt;

/// The format a quantity was written in, which its canonical form keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Powers of 1024: `Ki`, `Mi`, `Gi`, `Ti`, `Pi`, `Ei`.
    BinarySI,
    /// Powers of 1000 with letters: `n`, `u`, `m`, ``, `k`, `M`, `G`, `T`, `P`, `E`.
    DecimalSI,
    /// Powers of ten written as `e3`, `E6`.
    DecimalExponent,
}

/// Why a quantity string was refused (upstream's texts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuantityError {
    /// The string is not of the quantity shape.
    FormatWrong,
    /// The suffix is not one Kubernetes knows.
    Suffix,
    /// The number cannot be represented (too large).
    Numeric,
}

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QuantityError::FormatWrong => {
                "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
            }
            QuantityError::Suffix => "unable to parse quantity's suffix",
            QuantityError::Numeric => "unable to parse numeric part of quantity",
        })
    }
}

impl std::error::Error for QuantityError {}

const NANO: i128 = 1_000_000_000;

/// A resource quantity, held exactly as a count of nano-units.
#[derive(Debug, Clone, Copy)]
pub struct Quantity {
    nanos: i128,
    format: Format,
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Self) -> bool {
        self.nanos == other.nanos
    }
}
impl Eq for Quantity {}
impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Quantity {
    fn cmp(&self, other: &Self) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

impl Quantity {
    /// Zero, in DecimalSI.
    pub const ZERO: Quantity = Quantity {
        nanos: 0,
        format: Format::DecimalSI,
    };

    /// Parses a quantity as the API server does (`500m`, `1.5Gi`, `2`, `1e3`, `+100M`).
    pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
        match Quantity::parse_plain(s) {
            Some(q) => Ok(q),
            None => Quantity::parse_general(s),
        }
    }

    /// Any text [`Quantity::parse`] is given: upstream `ParseQuantity`, step by step.
    fn parse_general(s: &str) -> Result<Quantity, QuantityError> {
        if s.is_empty() || s.len() > 256 {
            return Err(QuantityError::FormatWrong);
        }
        let bytes = s.as_bytes();
        let mut i = 0;
        let negative = match bytes[0] {
            b'-' => {
                i = 1;
                true
            }
            b'+' => {
                i = 1;
                false
            }
            _ => false,
        };
        let num_start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let number = &s[num_start..i];
        let suffix = &s[i..];
        if number.is_empty() || number.bytes().filter(|&b| b == b'.').count() > 1 || number == "." {
            return Err(QuantityError::FormatWrong);
        }
        if !suffix
            .bytes()
            .all(|b| b"eEinumkKMGTP+-0123456789".contains(&b))
        {
            return Err(QuantityError::FormatWrong);
        }
        let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
        // The mantissa in nano-units, rounding up digits beyond nano precision. A whole part too
        // large to hold is `huge`: only a binary suffix can still give a value (the cap).
        let mut nanos: i128 = 0;
        let mut huge = false;
        for d in whole.bytes() {
            nanos = nanos * 10 + i128::from(d - b'0');
            if nanos > i128::MAX / (NANO * 1_000_000) {
                huge = true;
                break;
            }
        }
        if huge {
            let (format, value) = apply_suffix(None, false, suffix)?;
            return Ok(Quantity {
                nanos: if negative { -value } else { value },
                format,
            });
        }
        nanos *= NANO;
        let mut scale = NANO / 10;
        let mut lost = false;
        for d in frac.bytes() {
            if scale == 0 {
                lost |= d != b'0';
                continue;
            }
            nanos += i128::from(d - b'0') * scale;
            scale /= 10;
        }
        let (format, value) = apply_suffix(Some(nanos), lost, suffix)?;
        Ok(Quantity {
            nanos: if negative { -value } else { value },
            format,
        })
    }

    /// The common shape, parsed without the general path's checks: at most 18 digits (no sign,
    /// no point) and a suffix of at most two characters, as in `500m`, `128Mi`, `2`. The value
    /// is the one [`Quantity::parse`]'s general path gives for such a text: a whole mantissa
    /// loses no digits and is never too large to hold. `None` for any other text, and for a
    /// suffix `apply_suffix` refuses (the general path then gives the error).
    fn parse_plain(s: &str) -> Option<Quantity> {
        let bytes = s.as_bytes();
        let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 18 || bytes.len() - digits > 2 {
            return None;
        }
        let whole = bytes[..digits]
            .iter()
            .fold(0i128, |n, d| n * 10 + i128::from(d - b'0'));
        let (format, nanos) = apply_suffix(Some(whole * NANO), false, &s[digits..]).ok()?;
        Some(Quantity { nanos, format })
    }

    /// A quantity of `milli` thousandths, in DecimalSI (`Quantity::from_milli(500)` is `500m`).
    pub fn from_milli(milli: i64) -> Quantity {
        Quantity {
            nanos: i128::from(milli) * 1_000_000,
            format: Format::DecimalSI,
        }
    }

    /// A whole number of units in the given format (bytes are usually BinarySI).
    pub fn from_units(units: i64, format: Format) -> Quantity {
        Quantity {
            nanos: i128::from(units) * NANO,
            format,
        }
    }

    /// The format the quantity keeps.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Thousandths, rounded up (`MilliValue()`), saturating at the i64 range.
    pub fn milli_value(&self) -> i64 {
        clamp_i64(div_ceil(self.nanos, 1_000_000))
    }

    /// Whole units, rounded up (`Value()`), saturating at the i64 range.
    pub fn value(&self) -> i64 {
        clamp_i64(div_ceil(self.nanos, NANO))
    }

    /// Whether the quantity is zero.
    pub fn is_zero(&self) -> bool {
        self.nanos == 0
    }

    /// Whether the quantity is below zero.
    pub fn is_negative(&self) -> bool {
        self.nanos < 0
    }

    /// The sum (keeps this quantity's format).
    pub fn add(&self, other: &Quantity) -> Quantity {
        Quantity {
            nanos: self.nanos.saturating_add(other.nanos),
            format: self.format,
        }
    }

    /// The difference (keeps this quantity's format).
    pub fn sub(&self, other: &Quantity) -> Quantity {
        Quantity {
            nanos: self.nanos.saturating_sub(other.nanos),
            format: self.format,
        }
    }

    /// This quantity rounded up to milli precision, as the API server stores resource lists.
    pub fn round_up_to_milli(&self) -> Quantity {
        Quantity {
            nanos: div_ceil(self.nanos, 1_000_000) * 1_000_000,
            format: self.format,
        }
    }

    /// The canonical string (`String()` upstream).
    pub fn canonical(&self) -> String {
        self.to_string()
    }
}

fn clamp_i64(v: i128) -> i64 {
    v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

fn div_ceil(a: i128, b: i128) -> i128 {
    let q = a.div_euclid(b);
    if a.rem_euclid(b) == 0 {
        q
    } else {
        q + 1
    }
}

/// The largest binary quantity, in nano-units: `maxAllowed`, 2^63−1 units.
const MAX_ALLOWED_NANOS: i128 = i64::MAX as i128 * NANO;

/// Scales the mantissa (non-negative nano-units; `None` when too large to hold) by the suffix;
/// rounds up when precision below a nano was lost.
fn apply_suffix(
    mantissa: Option<i128>,
    lost: bool,
    suffix: &str,
) -> Result<(Format, i128), QuantityError> {
    let binary = |power: u32| -> Result<(Format, i128), QuantityError> {
        let v = mantissa
            .and_then(|m| m.checked_mul(1024i128.pow(power)))
            .map_or(MAX_ALLOWED_NANOS, |v| v + i128::from(lost));
        Ok((Format::BinarySI, v.min(MAX_ALLOWED_NANOS)))
    };
    let decimal = |format: Format, exp: i32| -> Result<(Format, i128), QuantityError> {
        let mantissa = mantissa.ok_or(QuantityError::Numeric)?;
        if mantissa == 0 && !lost {
            return Ok((format, 0));
        }
        let factor = 10i128.checked_pow(exp.unsigned_abs());
        if exp >= 0 {
            let v = factor
                .and_then(|f| mantissa.checked_mul(f))
                .ok_or(QuantityError::Numeric)?;
            Ok((format, v + i128::from(lost)))
        } else {
            // Below a nano-unit: upstream rounds any non-zero amount up to 1n.
            let rounded = match factor {
                Some(f) => div_ceil(mantissa, f) + i128::from(lost && mantissa % f == 0),
                None => 1,
            };
            Ok((format, rounded))
        }
    };
    match suffix {
        "Ki" => binary(1),
        "Mi" => binary(2),
        "Gi" => binary(3),
        "Ti" => binary(4),
        "Pi" => binary(5),
        "Ei" => binary(6),
        "n" => decimal(Format::DecimalSI, -9),
        "u" => decimal(Format::DecimalSI, -6),
        "m" => decimal(Format::DecimalSI, -3),
        "" => decimal(Format::DecimalSI, 0),
        "k" => decimal(Format::DecimalSI, 3),
        "M" => decimal(Format::DecimalSI, 6),
        "G" => decimal(Format::DecimalSI, 9),
        "T" => decimal(Format::DecimalSI, 12),
        "P" => decimal(Format::DecimalSI, 15),
        "E" => decimal(Format::DecimalSI, 18),
        s if s.starts_with(['e', 'E']) => {
            let exp: i32 = s[1..].parse().map_err(|_| QuantityError::Suffix)?;
            decimal(Format::DecimalExponent, exp)
        }
        _ => Err(QuantityError::Suffix),
    }
}

impl fmt::Display for Quantity {
    /// The canonical form: binary quantities in the largest exact power of 1024 (below 1024 or
    /// fractional ones fall back to decimal), decimal ones with the largest exact SI suffix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nanos == 0 {
            return f.write_str("0");
        }
        let sign = if self.nanos < 0 { "-" } else { "" };
        let abs = self.nanos.unsigned_abs();
        if self.format == Format::BinarySI && abs >= 1024 * NANO as u128 && abs % NANO as u128 == 0
        {
            let mut units = abs / NANO as u128;
            let suffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
            let mut k = 0;
            while k < 6 && units % 1024 == 0 {
                units /= 1024;
                k += 1;
            }
            return write!(f, "{sign}{units}{}", suffixes[k]);
        }
        let mut mantissa = abs;
        let mut exp = -9i32;
        while exp < 18 && mantissa % 1000 == 0 {
            mantissa /= 1000;
            exp += 3;
        }
        if self.format == Format::DecimalExponent {
            return if exp == 0 {
                write!(f, "{sign}{mantissa}")
            } else {
                write!(f, "{sign}{mantissa}e{exp}")
            };
        }
        let suffix = match exp {
            -9 => "n",
            -6 => "u",
            -3 => "m",
            0 => "",
            3 => "k",
            6 => "M",
            9 => "G",
            12 => "T",
            15 => "P",
            _ => "E",
        };
        write!(f, "{sign}{mantissa}{suffix}")
    }
}

impl std::str::FromStr for Quantity {
    type Err = QuantityError;
    fn from_str(s: &str) -> Result<Quantity, QuantityError> {
        Quantity::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    #[test]
    fn canonical_forms_match_the_api_server() {
        for (input, canonical) in [
            ("0.5", "500m"),
            ("500m", "500m"),
            ("1", "1"),
            ("1000m", "1"),
            ("1.5", "1500m"),
            ("2000", "2k"),
            ("1.5Gi", "1536Mi"),
            ("1Gi", "1Gi"),
            ("100Mi", "100Mi"),
            ("1024", "1024"),
            ("128974848", "128974848"),
            ("129M", "129M"),
            ("129e6", "129e6"),
            ("0", "0"),
            ("0.1m", "100u"),
            ("1Ei", "1Ei"),
            ("512", "512"),
            ("0.5Ki", "512"),
            ("-1", "-1"),
        ] {
            assert_eq!(q(input).to_string(), canonical, "canonical form of {input}");
        }
    }

    #[test]
    fn values_round_up_like_milli_value() {
        assert_eq!(q("0.1m").milli_value(), 1);
        assert_eq!(q("1.5").milli_value(), 1500);
        assert_eq!(q("250m").value(), 1);
        assert_eq!(q("200Mi").value(), 200 * 1024 * 1024);
        assert_eq!(q("1Ei").value(), 1 << 60);
    }

    #[test]
    fn comparisons_and_arithmetic_are_exact() {
        assert!(q("1536Mi") == q("1.5Gi"));
        assert!(q("1Gi") < q("1536Mi"));
        assert!(q("500m") < q("1"));
        assert_eq!(q("600Mi").add(&q("100Mi")).to_string(), "700Mi");
        assert_eq!(q("1").sub(&q("250m")).to_string(), "750m");
    }

    #[test]
    fn the_common_shape_parses_as_the_general_path_parses_it() {
        let mut checked = 0;
        for number in [
            "0",
            "1",
            "7",
            "10",
            "100",
            "250",
            "1024",
            "999999999999999999",
        ] {
            for suffix in [
                "", "m", "n", "u", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi",
                "Ei", "e3", "E6", "e0", "e-", "e", "i", "mm", "Zi", "KB", "+5", "é",
            ] {
                let text = format!("{number}{suffix}");
                let exact = |r: Result<Quantity, QuantityError>| r.map(|q| (q.nanos, q.format));
                let general = exact(Quantity::parse_general(&text));
                if let Some(plain) = Quantity::parse_plain(&text) {
                    assert_eq!(Ok((plain.nanos, plain.format)), general, "{text}");
                    checked += 1;
                }
                assert_eq!(exact(Quantity::parse(&text)), general, "{text}");
            }
        }
        // Not the common shape: left to the general path.
        for text in ["1.5", "-1", "+1", "1234567890123456789", "1Mi ", ".5", ""] {
            assert!(Quantity::parse_plain(text).is_none(), "{text}");
        }
        // Every number with each of the 19 suffixes Kubernetes knows, but 18 nines in T, P and
        // E, whose nano-units overflow (`Numeric` from either path).
        assert_eq!(checked, 8 * 19 - 3);
    }

    #[test]
    fn malformed_quantities_get_upstream_errors() {
        assert_eq!(
            Quantity::parse("abc").unwrap_err().to_string(),
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        );
        assert_eq!(
            Quantity::parse("1Zi").unwrap_err(),
            QuantityError::FormatWrong
        );
        assert_eq!(
            Quantity::parse("1KiB").unwrap_err(),
            QuantityError::FormatWrong
        );
        assert_eq!(Quantity::parse("1mm").unwrap_err(), QuantityError::Suffix);
        assert_eq!(Quantity::parse("").unwrap_err(), QuantityError::FormatWrong);
        assert_eq!(
            Quantity::parse("1.2.3").unwrap_err(),
            QuantityError::FormatWrong
        );
        assert_eq!(
            Quantity::parse("99999999999999999999999999999999999E").unwrap_err(),
            QuantityError::Numeric
        );
        assert_eq!(
            Quantity::parse("1e999").unwrap_err(),
            QuantityError::Numeric
        );
    }

    #[test]
    fn out_of_range_values_are_capped_or_rounded_as_parse_quantity_does() {
        // maxAllowed caps binary quantities only.
        assert_eq!(
            q("99999999999999999999999Ti").to_string(),
            "9223372036854775807"
        );
        assert_eq!(
            q("-99999999999999999999999Ti").to_string(),
            "-9223372036854775807"
        );
        assert_eq!(q("9999999999999999999Ei").value(), i64::MAX);
        assert_eq!(q("8Ei").to_string(), "9223372036854775807");
        assert_eq!(q("7Ei").to_string(), "7Ei");
        // Below a nano-unit, non-zero rounds up to 1n; zero stays zero at any exponent.
        assert_eq!(q("1e-400").to_string(), "1e-9");
        assert_eq!(q("-1e-400").to_string(), "-1e-9");
        assert_eq!(q("0e400").to_string(), "0");
        assert_eq!(q("0.000e-400").to_string(), "0");
        assert_eq!(q("1e20").to_string(), "100e18");
        // The known difference: the API server keeps these exactly.
        assert_eq!(Quantity::parse("1e400"), Err(QuantityError::Numeric));
        assert_eq!(Quantity::parse("1e40"), Err(QuantityError::Numeric));
    }
}
