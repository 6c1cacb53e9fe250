//! Full model names for readers who do not know the codes (`bgnbd`, `pnbd` …).

/// Codes and the names the report shows for them.
const MODEL_NAMES: [(&str, &str); 7] = [
    ("bgnbd", "BG/NBD (beta-geometric / negative binomial)"),
    (
        "mbgnbd",
        "MBG/NBD (modified beta-geometric / negative binomial)",
    ),
    ("pnbd", "Pareto/NBD (Pareto / negative binomial)"),
    ("ggomnbd", "GGom/NBD (gamma-Gompertz / negative binomial)"),
    ("bgbb", "BG/BB (beta-geometric / beta-Bernoulli)"),
    ("sbg", "sBG (shifted beta-geometric)"),
    ("gamma-gamma", "Gamma-Gamma spend model"),
];

/// The full name of a model code; a code followed by more words ("bgnbd with covariates")
/// keeps the words; unknown names are returned as they are.
pub fn model_name(code: &str) -> String {
    let code = code.trim();
    let (head, rest) = code.split_once(' ').unwrap_or((code, ""));
    match MODEL_NAMES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(head))
    {
        Some((_, name)) if rest.is_empty() => (*name).to_string(),
        Some((_, name)) => format!("{name} {rest}"),
        None => code.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::model_name;

    #[test]
    fn codes_become_full_names() {
        assert_eq!(
            model_name("bgnbd"),
            "BG/NBD (beta-geometric / negative binomial)"
        );
        assert_eq!(
            model_name("pnbd with covariates"),
            "Pareto/NBD (Pareto / negative binomial) with covariates"
        );
        assert_eq!(model_name("gamma-gamma"), "Gamma-Gamma spend model");
        assert_eq!(model_name("something else"), "something else");
    }
}
