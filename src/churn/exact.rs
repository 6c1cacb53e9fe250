//! Serde helpers that store `f64` values as decimal strings in the shortest form that parses
//! back to the same bits.
//!
//! `serde_json`'s default float parser is not always correctly rounded (exact parsing needs
//! its `float_roundtrip` feature), so numbers that decide a saved model's predictions are
//! written as strings and parsed with the standard library, which is exact. The JSON stays
//! readable: `"intercept": "-0.4137"`.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serializer};

fn parse<E: serde::de::Error>(s: &str) -> Result<f64, E> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| E::custom(format!("'{s}' is not a number")))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(E::custom(format!("'{s}' is not a finite number")))
    }
}

/// One `f64` as a string.
pub mod scalar {
    use super::*;

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{v:?}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        let s = String::deserialize(d)?;
        parse::<D::Error>(&s)
    }
}

/// A list of `f64` as a list of strings.
pub mod list {
    use super::*;
    use serde::ser::SerializeSeq;

    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for x in v {
            seq.serialize_element(&format!("{x:?}"))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        let strings = Vec::<String>::deserialize(d)?;
        strings
            .iter()
            .map(|s| parse::<D::Error>(s))
            .collect::<Result<Vec<f64>, D::Error>>()
            .map_err(D::Error::custom)
    }
}
