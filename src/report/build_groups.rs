//! CLV by group for the report: by RFM segment and by acquisition channel (the first
//! categorical extra column of the history).

use std::collections::HashMap;

use super::GroupValues;
use crate::churn::data::CovariateKind;
use crate::churn::from_summary::infer_covariate_kind;
use crate::features::Summary;
use crate::features::rfm::SEGMENT_RULES;
use crate::predict::score::CustomerScore;

/// Most channels shown; the rest are summed into "other".
const MAX_CHANNELS: usize = 12;

/// CLV by RFM segment, in the order of the segment rules.
pub(super) fn segments(scores: &[CustomerScore]) -> GroupValues {
    let mut by_name: HashMap<&str, (u64, f64)> = HashMap::new();
    for s in scores {
        let e = by_name.entry(s.segment.as_str()).or_default();
        e.0 += 1;
        e.1 += s.clv;
    }
    let mut names: Vec<&str> = SEGMENT_RULES.iter().map(|r| r.name).collect();
    let mut others: Vec<&str> = by_name
        .keys()
        .copied()
        .filter(|n| !names.contains(n))
        .collect();
    others.sort_unstable();
    names.extend(others);
    let present: Vec<&str> = names
        .into_iter()
        .filter(|n| by_name.contains_key(n))
        .collect();
    GroupValues {
        names: present.iter().map(|n| capitalise(n)).collect(),
        customers: present.iter().map(|n| by_name[n].0).collect(),
        total_clv: present.iter().map(|n| by_name[n].1).collect(),
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// CLV by the levels of the first categorical extra column, highest total first; `None`
/// when there is no such column.
pub(super) fn channels(history: &Summary, scores: &[CustomerScore]) -> Option<GroupValues> {
    let column = history.extra_columns.iter().position(|name| {
        infer_covariate_kind(history, name).is_ok_and(|k| k == CovariateKind::Categorical)
    })?;
    let level: HashMap<&str, &str> = history
        .customers
        .iter()
        .filter_map(|c| {
            c.extras
                .get(column)
                .map(|v| (c.customer_id.as_str(), v.as_str()))
        })
        .collect();
    let mut groups: HashMap<&str, (u64, f64)> = HashMap::new();
    for s in scores {
        let name = level.get(s.customer_id.as_str()).copied().unwrap_or("");
        let e = groups.entry(name).or_default();
        e.0 += 1;
        e.1 += s.clv;
    }
    let mut groups: Vec<(String, u64, f64)> = groups
        .into_iter()
        .map(|(n, (c, v))| {
            let n = if n.trim().is_empty() { "(blank)" } else { n };
            (n.to_string(), c, v)
        })
        .collect();
    groups.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    if groups.len() > MAX_CHANNELS {
        let rest = groups.split_off(MAX_CHANNELS - 1);
        groups.push((
            format!("other ({} values)", rest.len()),
            rest.iter().map(|g| g.1).sum(),
            rest.iter().map(|g| g.2).sum(),
        ));
    }
    Some(GroupValues {
        names: groups.iter().map(|g| g.0.clone()).collect(),
        customers: groups.iter().map(|g| g.1).collect(),
        total_clv: groups.iter().map(|g| g.2).collect(),
    })
}
