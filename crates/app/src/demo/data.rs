//! The name lists the demo generator draws from: first names, surnames, streets and places of
//! the Netherlands, Flanders and Wallonia/Brussels, shipped as text files next to this module
//! (one entry per line, `#` starts a comment line) and parsed once.

use std::sync::LazyLock;

/// A Dutch place with its postal-code range and trunk area code.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct NlPlace {
    pub name: &'static str,
    pub postal_from: u16,
    pub postal_to: u16,
    pub area_code: &'static str,
}

/// Where a Belgian place lies: the region decides the language of most of its people.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum BeRegion {
    #[default]
    Flanders,
    Wallonia,
    Brussels,
}

/// A Belgian place with its Dutch and French name, postal code and trunk area code.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct BePlace {
    pub name_nl: &'static str,
    pub name_fr: &'static str,
    pub postal_code: &'static str,
    pub area_code: &'static str,
    pub region: BeRegion,
}

/// Every list, parsed.
#[derive(Debug)]
pub(crate) struct Lists {
    pub nl_first_names: Vec<&'static str>,
    pub nl_surnames: Vec<&'static str>,
    pub be_nl_first_names: Vec<&'static str>,
    pub be_nl_surnames: Vec<&'static str>,
    pub be_fr_first_names: Vec<&'static str>,
    pub be_fr_surnames: Vec<&'static str>,
    pub nl_streets: Vec<&'static str>,
    pub be_nl_streets: Vec<&'static str>,
    pub be_fr_streets: Vec<&'static str>,
    pub nl_places: Vec<NlPlace>,
    pub be_flanders: Vec<BePlace>,
    pub be_wallonia: Vec<BePlace>,
    pub be_brussels: Vec<BePlace>,
}

pub(crate) static LISTS: LazyLock<Lists> = LazyLock::new(|| {
    let be_places = be_places(include_str!("data/be_cities.txt"));
    let of = |region| be_places.iter().copied().filter(|p: &BePlace| p.region == region).collect();
    Lists {
        nl_first_names: entries(include_str!("data/nl_first_names.txt")).collect(),
        nl_surnames: entries(include_str!("data/nl_surnames.txt")).collect(),
        be_nl_first_names: entries(include_str!("data/be_nl_first_names.txt")).collect(),
        be_nl_surnames: entries(include_str!("data/be_nl_surnames.txt")).collect(),
        be_fr_first_names: entries(include_str!("data/be_fr_first_names.txt")).collect(),
        be_fr_surnames: entries(include_str!("data/be_fr_surnames.txt")).collect(),
        nl_streets: entries(include_str!("data/nl_streets.txt")).collect(),
        be_nl_streets: entries(include_str!("data/be_nl_streets.txt")).collect(),
        be_fr_streets: entries(include_str!("data/be_fr_streets.txt")).collect(),
        nl_places: nl_places(include_str!("data/nl_cities.txt")),
        be_flanders: of(BeRegion::Flanders),
        be_wallonia: of(BeRegion::Wallonia),
        be_brussels: of(BeRegion::Brussels),
    }
});

/// The non-empty, non-comment lines of a list.
fn entries(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'))
}

fn nl_places(text: &'static str) -> Vec<NlPlace> {
    entries(text)
        .filter_map(|line| {
            let mut f = line.split(';');
            let name = f.next()?;
            let postal_from = f.next()?.parse().ok()?;
            let postal_to = f.next()?.parse().ok()?;
            let area_code = f.next()?;
            Some(NlPlace { name, postal_from, postal_to, area_code })
        })
        .collect()
}

fn be_places(text: &'static str) -> Vec<BePlace> {
    entries(text)
        .filter_map(|line| {
            let mut f = line.split(';');
            let name_nl = f.next()?;
            let name_fr = f.next()?;
            let postal_code = f.next()?;
            let area_code = f.next()?;
            let region = match f.next()? {
                "vl" => BeRegion::Flanders,
                "wa" => BeRegion::Wallonia,
                "bru" => BeRegion::Brussels,
                _ => return None,
            };
            Some(BePlace { name_nl, name_fr, postal_code, area_code, region })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_list_parses_whole() {
        let l = &*LISTS;
        for (name, list, lines) in [
            ("nl_first_names", &l.nl_first_names, include_str!("data/nl_first_names.txt")),
            ("nl_surnames", &l.nl_surnames, include_str!("data/nl_surnames.txt")),
            ("be_fr_surnames", &l.be_fr_surnames, include_str!("data/be_fr_surnames.txt")),
        ] {
            assert!(list.len() >= 50, "{name}");
            assert_eq!(list.len(), entries(lines).count(), "{name}");
        }
        assert_eq!(l.nl_places.len(), entries(include_str!("data/nl_cities.txt")).count());
        let be = entries(include_str!("data/be_cities.txt")).count();
        assert_eq!(l.be_flanders.len() + l.be_wallonia.len() + l.be_brussels.len(), be);
        assert!(l.nl_places.iter().all(|p| p.postal_from >= 1000 && p.postal_from <= p.postal_to));
        assert!(l.be_brussels.iter().all(|p| p.postal_code.len() == 4));
    }
}
