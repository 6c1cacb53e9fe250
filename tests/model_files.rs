//! Model files reload bit-exact (serde_json's `float_roundtrip`).

use clv::models::registry::{self, ModelKind};
use clv::models::saved::SavedModel;
use clv::models::{FitData, FitOptions, RfmData};

/// serde_json's `float_roundtrip`: a model file reloads bit for bit, so a reloaded model
/// predicts exactly what the fitted one did.
#[test]
fn model_files_reload_bit_exact() {
    let x = [0.0, 1.0, 3.0, 2.0, 7.0, 0.0, 1.0];
    let t_x = [0.0, 5.3, 20.1, 30.7, 36.2, 0.0, 1.9];
    let t = [38.0, 38.0, 39.0, 38.5, 39.0, 20.0, 30.0];
    let data = RfmData::new(&x, &t_x, &t, None).unwrap();
    let fitted = registry::fit(
        ModelKind::BgNbd,
        FitData::Transaction(&data),
        &FitOptions::default(),
        "week",
    )
    .unwrap();
    let mut saved = fitted.saved;
    // Doubles whose shortest decimal form is long, parsed wrongly by a fast float parser
    // at the last bit.
    let mut v: u64 = 0x3FF0_1234_5678_9ABC;
    for value in saved.params.values_mut() {
        v = v
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *value = f64::from_bits((v >> 12) | 0x3FF0_0000_0000_0000) * 0.7;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.json");
    saved.save(&path).unwrap();
    let back = SavedModel::load(&path).unwrap();
    for (name, value) in &saved.params {
        assert_eq!(back.params[name].to_bits(), value.to_bits(), "{name}");
    }
    for (a, b) in back.fit.estimates.iter().zip(&saved.fit.estimates) {
        assert_eq!(a.to_bits(), b.to_bits());
    }
    for _ in 0..2000 {
        v = v
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let f = f64::from_bits(v >> 2);
        if f.is_finite() {
            let text = serde_json::to_string(&f).unwrap();
            let g: f64 = serde_json::from_str(&text).unwrap();
            assert_eq!(f.to_bits(), g.to_bits(), "{text}");
        }
    }
}
