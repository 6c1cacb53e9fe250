//! Numbers as CSV text, fast: the writers of million-row tables spent about a third of their
//! time in `std`'s float formatting (issue #13 item 4). The text is byte for byte what
//! `format!("{v}")` gives (the shortest digits that read back to `v`, never an exponent, no
//! `.0` on whole numbers), so outputs did not change.

/// Appends `v` exactly as `format!("{v}")` writes it, through the `zmij` shortest-digits
/// formatter (several times faster than `std`'s).
pub fn push_shortest(text: &mut String, v: f64) {
    if !v.is_finite() || may_tie(v) {
        // NaN, inf, -inf (`std`'s spelling), and the rare values where the two formatters
        // may pick different shortest digits.
        text.push_str(&v.to_string());
        return;
    }
    let mut buffer = zmij::Buffer::new();
    let s = buffer.format_finite(v);
    // A byte scan: `str::find` costs more than the formatting on such short text.
    match s.bytes().position(|b| b == b'e') {
        // zmij writes whole numbers as `6.0`, `std` as `6`.
        None => text.push_str(s.strip_suffix(".0").unwrap_or(s)),
        Some(e) => push_expanded(text, &s[..e], &s[e + 1..]),
    }
}

/// Whether `v` might be exactly halfway between its two nearest shortest decimal forms (such
/// as 2249494535661160.25, printed `...160.3` by `std` and `...160.2` by zmij). That needs an
/// exact decimal expansion of at most 18 significant digits (one more than the 17 that always
/// suffice) ending in 5, and no integer has one. A non-integer `m · 2^q` (m odd) expands to
/// `m · 5^-q` over a power of ten, which has at least 19 digits once `-q >= 26`.
fn may_tie(v: f64) -> bool {
    let bits = v.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    let (m, e) = match biased {
        0 => (fraction, -1074),
        _ => (fraction | (1 << 52), biased - 1075),
    };
    if m == 0 {
        return false;
    }
    let q = e + m.trailing_zeros() as i32;
    (-26..0).contains(&q)
}

/// Appends the plain decimal form of `mantissa` (`-d.ddd` or `-d`) times ten to the power
/// `exponent` (`+16`, `-7`), as `std` writes numbers: all digits, no exponent.
fn push_expanded(text: &mut String, mantissa: &str, exponent: &str) {
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    // zmij writes a well-formed exponent of at most three digits.
    let exponent: i32 = exponent.trim_start_matches('+').parse().unwrap_or(0);
    let mut digits: String = mantissa.chars().filter(|&c| c != '.').collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    if negative {
        text.push('-');
    }
    // Digits before the decimal point: one in the mantissa, moved by the exponent.
    let point = 1 + exponent;
    let len = digits.len() as i32;
    if point >= len {
        text.push_str(&digits);
        text.extend(std::iter::repeat_n('0', (point - len) as usize));
    } else if point > 0 {
        text.push_str(&digits[..point as usize]);
        text.push('.');
        text.push_str(&digits[point as usize..]);
    } else {
        text.push_str("0.");
        text.extend(std::iter::repeat_n('0', (-point) as usize));
        text.push_str(&digits);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    fn same_as_std(v: f64) {
        let mut text = String::new();
        push_shortest(&mut text, v);
        assert_eq!(text, format!("{v}"), "bits {:#x}", v.to_bits());
    }

    #[test]
    fn edge_cases_are_written_as_std_writes_them() {
        let cases = [
            0.0,
            -0.0,
            1.0,
            -6.0,
            0.1,
            0.1 + 0.2,
            1e-5,
            1e-6,
            1e-7,
            1.5e-7,
            123456.789,
            1e15,
            1e16,
            1.5e16,
            1e21,
            1e22,
            123456789012345680000.0,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            5e-324,
            -5e-324,
            f64::from_bits(0x000f_ffff_ffff_ffff),
            9007199254740993.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for v in cases {
            same_as_std(v);
        }
        for k in -330..=310 {
            same_as_std(10f64.powi(k));
            same_as_std(-3.0 * 10f64.powi(k));
        }
    }

    /// Random bit patterns (every magnitude) and values like the tables' (probabilities,
    /// counts, money, times with six decimals).
    #[test]
    fn random_values_are_written_as_std_writes_them() {
        let mut rng = StdRng::seed_from_u64(13);
        for _ in 0..300_000 {
            same_as_std(f64::from_bits(rng.random::<u64>()));
            let p: f64 = rng.random();
            same_as_std(p);
            same_as_std(p * p * p * 1e-3);
            same_as_std((p * 1e6).round() / 1e6 * 52.0);
            same_as_std((p * 1e4).round() / 100.0);
            same_as_std((p * 40.0).floor());
            // Few binary digits after the point: where ties between shortest forms live.
            let j = rng.random_range(1..40);
            same_as_std((rng.random::<u64>() >> 11) as f64 / f64::from(1u32 << (j % 31)));
            same_as_std((rng.random::<u64>() >> rng.random_range(11..60)) as f64 * 0.5f64.powi(j));
        }
    }
}
