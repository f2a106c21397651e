//! Demo parties: the creditor organisation and its debtors, with names, addresses, contacts and
//! identifiers that look Dutch or Belgian and pass arflow's own validators (IBAN with national
//! check digits, VAT and enterprise numbers).

use arflow_core::ident::{be_national_check_digits, iban_check_digits};
use arflow_core::money::{Currency, Money};
use arflow_core::party::{
    Address, Contact, ContactPurpose, CountryCode, Debtor, DebtorKind, Language, OrgCountry,
    Organisation, Slug,
};

use super::data::{BePlace, BeRegion, LISTS};
use super::rng::{Rng, permute};

/// Which name lists, streets and language a party gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Culture {
    Dutch,
    Flemish,
    Walloon,
}

impl Culture {
    pub(crate) fn language(self) -> Language {
        match self {
            Culture::Dutch | Culture::Flemish => Language::Nl,
            Culture::Walloon => Language::Fr,
        }
    }

    fn country(self) -> CountryCode {
        match self {
            Culture::Dutch => CountryCode::NL,
            Culture::Flemish | Culture::Walloon => CountryCode::BE,
        }
    }

    pub(crate) fn french(self) -> bool {
        self == Culture::Walloon
    }
}

/// The line of business of a business debtor (its first segment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sector {
    Retail,
    Wholesale,
    Horeca,
    Construction,
    Healthcare,
}

impl Sector {
    pub(crate) fn segment(self) -> &'static str {
        match self {
            Sector::Retail => "retail",
            Sector::Wholesale => "wholesale",
            Sector::Horeca => "horeca",
            Sector::Construction => "construction",
            Sector::Healthcare => "healthcare",
        }
    }
}

/// The segment of consumers.
pub(crate) const CONSUMER_SEGMENT: &str = "consumer";

/// A debtor with what the ledger simulation needs to know about it.
#[derive(Debug, Clone)]
pub(crate) struct Party {
    pub debtor: Debtor,
    pub culture: Culture,
    pub sector: Option<Sector>,
    /// The account holder's name as the bank shows it on a statement.
    pub holder: String,
}

/// Salts of the permutations that hand out unique numbers, per kind of number.
const SALT_IBAN: u64 = 0x5eed_0001;
const SALT_VAT: u64 = 0x5eed_0002;

const NL_ACCOUNT_DOMAIN: u64 = 10_000_000_000;
const NL_VAT_DOMAIN: u64 = 100_000_000;
/// Belgian enterprise numbers in use start at 0200.000.0xx; the first eight digits range over
/// 02000000..=09999999 (new numbers starting with 1 are left out).
const BE_ENTERPRISE_FIRST: u64 = 2_000_000;
const BE_ENTERPRISE_DOMAIN: u64 = 8_000_000;
/// Second accounts come from the same permutation, offset beyond every debtor index.
const SECOND_ACCOUNT_OFFSET: u64 = 200_000_000;

/// Dutch banks: IBAN bank code, BIC, share in per mille of accounts.
const NL_BANKS: &[((&str, &str), u32)] = &[
    (("INGB", "INGBNL2A"), 380),
    (("RABO", "RABONL2U"), 280),
    (("ABNA", "ABNANL2A"), 200),
    (("SNSB", "SNSBNL2A"), 50),
    (("BUNQ", "BUNQNL2A"), 35),
    (("ASNB", "ASNBNL21"), 20),
    (("RBRB", "RBRBNL21"), 20),
    (("TRIO", "TRIONL2U"), 8),
    (("KNAB", "KNABNL2H"), 7),
];

/// Belgian bank codes (first three digits of the account number) and the bank's BIC; a bank
/// with more customers has more codes here.
const BE_BANKS: &[(u16, &str)] = &[
    (1, "GEBABEBB"),
    (210, "GEBABEBB"),
    (220, "GEBABEBB"),
    (230, "GEBABEBB"),
    (240, "GEBABEBB"),
    (250, "GEBABEBB"),
    (260, "GEBABEBB"),
    (270, "GEBABEBB"),
    (280, "GEBABEBB"),
    (290, "GEBABEBB"),
    (730, "KREDBEBB"),
    (733, "KREDBEBB"),
    (734, "KREDBEBB"),
    (735, "KREDBEBB"),
    (736, "KREDBEBB"),
    (737, "KREDBEBB"),
    (738, "KREDBEBB"),
    (739, "KREDBEBB"),
    (740, "KREDBEBB"),
    (745, "KREDBEBB"),
    (731, "CREGBEBB"),
    (732, "CREGBEBB"),
    (310, "BBRUBEBB"),
    (320, "BBRUBEBB"),
    (330, "BBRUBEBB"),
    (340, "BBRUBEBB"),
    (350, "BBRUBEBB"),
    (360, "BBRUBEBB"),
    (363, "BBRUBEBB"),
    (370, "BBRUBEBB"),
    (63, "GKCCBEBB"),
    (68, "GKCCBEBB"),
    (88, "GKCCBEBB"),
    (91, "GKCCBEBB"),
    (96, "GKCCBEBB"),
    (973, "ARSPBE22"),
    (974, "ARSPBE22"),
    (975, "ARSPBE22"),
    (979, "ARSPBE22"),
    (103, "NICABEBB"),
    (850, "NICABEBB"),
    (859, "NICABEBB"),
    (0, "BPOTBEB1"),
    (651, "KEYTBEBB"),
    (652, "KEYTBEBB"),
    (954, "CTBKBEBX"),
];

// ------------------------------------------------------------------ identifiers

/// An IBAN from its country code and BBAN, with the ISO 13616 check digits from the core.
fn iban(country: &str, bban: &str) -> String {
    // The BBANs built here are ASCII letters and digits, for which the core always answers.
    let check = iban_check_digits(country, bban).unwrap_or(0);
    format!("{country}{check:02}{bban}")
}

/// A Dutch IBAN: bank code and a ten-digit account number.
fn nl_iban(bank: &str, account: u64) -> String {
    iban("NL", &format!("{bank}{:010}", account % NL_ACCOUNT_DOMAIN))
}

/// A Belgian IBAN: bank code, seven-digit account and the national check digits (the first ten
/// digits modulo 97, 97 for 0).
fn be_iban(bank_code: u16, account: u64) -> String {
    let first_ten = u64::from(bank_code) * 10_000_000 + account % 10_000_000;
    let check = be_national_check_digits(first_ten);
    iban("BE", &format!("{first_ten:010}{check:02}"))
}

/// The `n`-th unique Dutch IBAN of this seed (the bank is drawn by market share).
fn unique_nl_iban(rng: &mut Rng, seed: u64, n: u64) -> (String, &'static str) {
    let (bank, bic) = rng.weighted(NL_BANKS).unwrap_or(("INGB", "INGBNL2A"));
    (nl_iban(bank, permute(n, seed ^ SALT_IBAN, NL_ACCOUNT_DOMAIN)), bic)
}

/// The `n`-th unique Belgian IBAN of this seed.
fn unique_be_iban(seed: u64, n: u64) -> (String, &'static str) {
    let banks = BE_BANKS.len() as u64;
    let v = permute(n, seed ^ SALT_IBAN, banks * 10_000_000);
    let (code, bic) = BE_BANKS
        .get(usize::try_from(v / 10_000_000).unwrap_or(0))
        .copied()
        .unwrap_or((1, "GEBABEBB"));
    (be_iban(code, v % 10_000_000), bic)
}

/// A Dutch VAT number (btw-id) for a legal entity: nine digits passing the elfproef plus `B01`.
/// Eight digits come from `body`; when no ninth digit completes the elfproef, the ninth is 1 and
/// the two digits after the `B` are chosen so that the whole number passes the MOD 97-10 check
/// that sole proprietors' numbers have used since 2020.
pub(crate) fn nl_vat_number(body: u64) -> String {
    let body = body % NL_VAT_DOMAIN;
    let digits = format!("{body:08}");
    let weighted: u64 =
        digits.bytes().zip((2..=9).rev()).map(|(b, w)| u64::from(b - b'0') * w).sum();
    let check = weighted % 11;
    if check <= 9 && body != 0 {
        return format!("NL{digits}{check}B01");
    }
    // MOD 97-10 over "NL" + nine digits + "B" + two digits, letters as in an IBAN (N=23, L=21,
    // B=11): choose the two digits that make the remainder 1. The ninth digit 1 keeps the
    // number from being zero (and it fails the elfproef, whose check digit here is 10 or 0).
    let nine = format!("{digits}1");
    let mut rem: u64 = 0;
    for part in ["2321", nine.as_str(), "11"] {
        for b in part.bytes() {
            rem = (rem * 10 + u64::from(b - b'0')) % 97;
        }
    }
    let suffix = (1 + 97 * 100 - rem * 100 % 97) % 97;
    format!("NL{nine}B{suffix:02}")
}

/// A Belgian enterprise number (ten digits, no separators): `0` + seven digits + check digits.
pub(crate) fn be_enterprise_number(n: u64) -> String {
    let first_eight = BE_ENTERPRISE_FIRST + n % BE_ENTERPRISE_DOMAIN;
    let check = 97 - first_eight % 97;
    format!("{first_eight:08}{check:02}")
}

fn unique_nl_vat(seed: u64, index: u64) -> String {
    nl_vat_number(permute(index, seed ^ SALT_VAT, NL_VAT_DOMAIN))
}

fn unique_be_enterprise(seed: u64, index: u64) -> String {
    be_enterprise_number(permute(index, seed ^ SALT_VAT, BE_ENTERPRISE_DOMAIN))
}

// ------------------------------------------------------------------ text helpers

/// The text with its first letter in upper case ("van Dijk" at the start of a name).
pub(crate) fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Lower-case ASCII letters and digits for e-mail addresses and domains: accents are dropped,
/// everything else becomes `sep` (collapsed, never at the ends; left out when `sep` is `None`).
pub(crate) fn ascii_slug(text: &str, sep: Option<char>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'à' | 'á' | 'â' | 'ä' | 'ã' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ÿ' => 'y',
            c if c.is_ascii_alphanumeric() => c,
            // An apostrophe joins ("'s-Hertogenbosch", "l'Église").
            '\'' | '’' => continue,
            _ => {
                pending = true;
                continue;
            }
        };
        if pending
            && !out.is_empty()
            && let Some(s) = sep
        {
            out.push(s);
        }
        pending = false;
        out.push(folded);
    }
    out
}

fn digits(rng: &mut Rng, n: u32) -> String {
    (0..n).map(|_| char::from(b'0' + u8::try_from(rng.below(10)).unwrap_or(0))).collect()
}

// ------------------------------------------------------------------ people and companies

/// A first name and a surname of the culture.
fn person(rng: &mut Rng, culture: Culture) -> (&'static str, &'static str) {
    let l = &*LISTS;
    match culture {
        Culture::Dutch => (rng.pick(&l.nl_first_names), rng.pick(&l.nl_surnames)),
        Culture::Flemish => (rng.pick(&l.be_nl_first_names), rng.pick(&l.be_nl_surnames)),
        Culture::Walloon => (rng.pick(&l.be_fr_first_names), rng.pick(&l.be_fr_surnames)),
    }
}

/// Noun phrases for shop, restaurant and care-home names ("De Gouden Leeuw", "du Marché").
fn phrase(rng: &mut Rng, culture: Culture) -> &'static str {
    rng.pick(match culture {
        Culture::Dutch => &[
            "De Gouden Leeuw",
            "De Zwaan",
            "De Molen",
            "De Kroon",
            "De Engel",
            "De Zon",
            "De Haven",
            "De Ster",
            "Het Anker",
            "De Brug",
            "De Linde",
            "De Boerderij",
            "De Gulden Draak",
            "'t Pakhuis",
            "'t Hoekje",
            "De Kastanjeboom",
            "Het Kompas",
            "De Sluis",
            "De Poort",
            "De Waag",
        ][..],
        Culture::Flemish => &[
            "De Klok",
            "'t Hoekske",
            "De Linde",
            "Het Anker",
            "De Zwaan",
            "De Kroon",
            "Den Engel",
            "Het Vliegend Paard",
            "De Molen",
            "'t Pleintje",
            "De Kastanje",
            "Zonnewende",
            "Ter Beke",
            "Ter Linden",
            "Hof ter Weyde",
            "De Kouter",
            "Sint-Jan",
        ][..],
        Culture::Walloon => &[
            "du Marché",
            "du Parc",
            "des Arts",
            "de la Gare",
            "du Lion d'Or",
            "des Tilleuls",
            "du Soleil",
            "de la Place",
            "du Coin",
            "du Moulin",
            "des Sports",
            "du Château",
            "de l'Église",
            "du Centre",
            "des Remparts",
        ][..],
    })
}

/// Single words for compound names ("Horizon Distributie", "Résidence Belle Vue").
fn word(rng: &mut Rng, culture: Culture) -> &'static str {
    rng.pick(match culture {
        Culture::Dutch => &[
            "Noorderlicht",
            "Horizon",
            "Kompas",
            "Delta",
            "Polder",
            "Duinzicht",
            "Centraal",
            "Lindehof",
            "Meerzicht",
            "Zeezicht",
            "Ooievaar",
            "Vlinder",
            "Eikenhof",
            "Zonnehoek",
        ][..],
        Culture::Flemish => &[
            "Horizon",
            "Kempen",
            "Schelde",
            "Leie",
            "Westhoek",
            "Zonnebloem",
            "Meetjesland",
            "Dijleland",
            "Hageland",
            "Polder",
            "Kouter",
            "Eikenhof",
            "Ter Heide",
        ][..],
        Culture::Walloon => &[
            "Horizon",
            "Les Tilleuls",
            "Belle Vue",
            "Les Érables",
            "Le Chêne",
            "Mosane",
            "Ardenne",
            "Sambre",
            "Les Jardins",
            "Beau Site",
            "L'Étoile",
            "Condroz",
            "Hesbaye",
        ][..],
    })
}

const PIZZERIAS: &[&str] = &["Roma", "Napoli", "Da Marco", "Bella Italia", "Venezia", "La Toscana"];

/// Name patterns per sector and culture: `{S}` surname, `{P}` phrase, `{W}` word, `{C}` place,
/// `{I}` an Italian name. The flag says whether a legal form may follow.
fn name_patterns(sector: Sector, culture: Culture) -> &'static [(&'static str, bool)] {
    use Culture::*;
    use Sector::*;
    match (culture, sector) {
        (Dutch, Retail) => &[
            ("Bakkerij {S}", true),
            ("Slagerij {S}", true),
            ("{S} Mode", true),
            ("Fietsenwinkel {S}", true),
            ("Boekhandel {S}", true),
            ("{S} Juweliers", true),
            ("Bloemenhuis {S}", false),
            ("Tuincentrum {W}", true),
            ("Drogisterij {C}", true),
            ("Woonwinkel {W}", true),
            ("{S} Schoenen", true),
            ("Kaashandel {S}", false),
        ],
        (Dutch, Wholesale) => &[
            ("{S} Groothandel", true),
            ("{C} Foodservice", true),
            ("{S} Techniek", true),
            ("Handelsonderneming {S}", true),
            ("{S} & Zn.", true),
            ("{W} Distributie", true),
            ("{S} Verpakkingen", true),
            ("{W} Logistiek", true),
            ("{S} Kantoorartikelen", true),
            ("{S} Elektrotechniek", true),
        ],
        (Dutch, Horeca) => &[
            ("Restaurant {P}", true),
            ("Café {P}", false),
            ("Eetcafé {P}", true),
            ("Hotel {C}", true),
            ("Brasserie {W}", true),
            ("Lunchroom {P}", false),
            ("Grand Café {W}", true),
            ("Pizzeria {I}", true),
            ("Hotel-Restaurant {P}", true),
            ("Strandpaviljoen {W}", true),
        ],
        (Dutch, Construction) => &[
            ("Bouwbedrijf {S}", true),
            ("Aannemersbedrijf {S}", true),
            ("{S} Installatietechniek", true),
            ("Schildersbedrijf {S}", true),
            ("Dakdekkersbedrijf {S}", true),
            ("Timmerbedrijf {S}", true),
            ("{S} Loodgieters", true),
            ("Klusbedrijf {S}", false),
            ("{S} Grondwerken", true),
            ("Hoveniersbedrijf {S}", true),
        ],
        (Dutch, Healthcare) => &[
            ("Tandartspraktijk {S}", false),
            ("Huisartsenpraktijk {C}", false),
            ("Fysiotherapie {C} {W}", true),
            ("Apotheek {P}", true),
            ("Zorggroep {C}", false),
            ("Dierenkliniek {C}", true),
            ("Thuiszorg {W}", true),
            ("Praktijk voor Psychologie {S}", false),
            ("Mondzorg {C}", true),
            ("Verloskundigenpraktijk {W}", false),
        ],
        (Flemish, Retail) => &[
            ("Bakkerij {S}", true),
            ("Beenhouwerij {S}", true),
            ("{S} Mode", true),
            ("Fietsen {S}", true),
            ("Boekhandel {P}", true),
            ("Juwelier {S}", true),
            ("Bloemen {S}", false),
            ("Tuincentrum {W}", true),
            ("Kaashandel {S}", false),
        ],
        (Flemish, Wholesale) => &[
            ("{S} Groothandel", true),
            ("Drankencentrale {S}", true),
            ("{S} Distributie", true),
            ("{S} & Zonen", true),
            ("{W} Logistics", true),
            ("{S} Technics", true),
            ("Handelshuis {S}", true),
            ("{S} Verpakking", true),
        ],
        (Flemish, Horeca) => &[
            ("Brasserie {P}", true),
            ("Restaurant {P}", true),
            ("Café {P}", false),
            ("Frituur {P}", false),
            ("Taverne {P}", true),
            ("Hotel {C}", true),
            ("Bistro {W}", true),
            ("Eethuis {P}", true),
            ("Pizzeria {I}", true),
        ],
        (Flemish, Construction) => &[
            ("Bouwwerken {S}", true),
            ("Dakwerken {S}", true),
            ("Schrijnwerkerij {S}", true),
            ("{S} Renovatie", true),
            ("Elektro {S}", true),
            ("Sanitair {S}", true),
            ("Aannemingen {S}", true),
            ("Tuinaanleg {S}", true),
            ("Schilderwerken {S}", false),
        ],
        (Flemish, Healthcare) => &[
            ("Apotheek {S}", true),
            ("Tandartsenpraktijk {S}", false),
            ("Huisartsenpraktijk {P}", false),
            ("Woonzorgcentrum {P} vzw", false),
            ("Kinesitherapie {S}", false),
            ("Dierenartsenpraktijk {S}", true),
            ("Thuisverpleging {W}", true),
            ("Groepspraktijk {C}", true),
        ],
        (Walloon, Retail) => &[
            ("Boulangerie {S}", true),
            ("Boucherie {S}", true),
            ("Librairie {P}", true),
            ("Fleurs {S}", false),
            ("Bijouterie {S}", true),
            ("Fromagerie {S}", false),
            ("Boutique {W}", true),
            ("Vélos {S}", true),
            ("Jardinerie {W}", true),
        ],
        (Walloon, Wholesale) => &[
            ("{S} Distribution", true),
            ("Établissements {S}", true),
            ("Grossiste {S}", true),
            ("{S} & Fils", true),
            ("{W} Logistique", true),
            ("Comptoir {S}", true),
            ("Boissons {S}", true),
            ("{S} Emballages", true),
        ],
        (Walloon, Horeca) => &[
            ("Brasserie {P}", true),
            ("Restaurant {P}", true),
            ("Friterie {P}", false),
            ("Taverne {P}", true),
            ("Hôtel {P}", true),
            ("Bistrot {P}", true),
            ("Pizzeria {I}", true),
            ("Café {P}", false),
        ],
        (Walloon, Construction) => &[
            ("Construction {S}", true),
            ("Toitures {S}", true),
            ("Menuiserie {S}", true),
            ("Électricité {S}", true),
            ("Chauffage {S}", true),
            ("Rénovation {S}", true),
            ("Entreprise {S}", true),
            ("Parcs et Jardins {S}", true),
            ("Peinture {S}", false),
        ],
        (Walloon, Healthcare) => &[
            ("Pharmacie {S}", true),
            ("Cabinet dentaire {S}", false),
            ("Maison médicale {P} ASBL", false),
            ("Résidence {W} ASBL", false),
            ("Kinésithérapie {S}", false),
            ("Clinique vétérinaire {C}", true),
            ("Soins à domicile {W}", true),
            ("Centre médical {C}", true),
        ],
    }
}

/// Legal forms and their shares (per mille); the rest of the mass means "no form" (a sole
/// proprietorship trading under its name).
fn legal_forms(sector: Sector, culture: Culture) -> &'static [(&'static str, u32)] {
    let large = matches!(sector, Sector::Wholesale | Sector::Construction);
    match (culture, large) {
        (Culture::Dutch, true) => &[("B.V.", 650), ("V.O.F.", 150), ("N.V.", 10), ("", 190)],
        (Culture::Dutch, false) => &[("B.V.", 380), ("V.O.F.", 220), ("", 400)],
        (Culture::Flemish, true) => &[("NV", 300), ("BV", 520), ("CommV", 40), ("", 140)],
        (Culture::Flemish, false) => &[("BV", 560), ("NV", 60), ("CommV", 50), ("", 330)],
        (Culture::Walloon, true) => &[("SA", 300), ("SRL", 520), ("SComm", 40), ("", 140)],
        (Culture::Walloon, false) => &[("SRL", 560), ("SA", 60), ("SComm", 50), ("", 330)],
    }
}

/// A business name: the pattern filled in, and the legal form (possibly empty).
fn business_name(
    rng: &mut Rng,
    sector: Sector,
    culture: Culture,
    place: &str,
) -> (String, &'static str) {
    let (pattern, form_allowed) = rng.pick(name_patterns(sector, culture));
    let (_, surname) = person(rng, culture);
    let mut name = pattern.to_owned();
    if name.contains("{S}") {
        // A surname that starts the name is capitalised ("Van Dijk Techniek").
        let s = if name.starts_with("{S}") { capitalised(surname) } else { surname.to_owned() };
        name = name.replace("{S}", &s);
    }
    if name.contains("{P}") {
        name = name.replace("{P}", phrase(rng, culture));
    }
    if name.contains("{W}") {
        name = name.replace("{W}", word(rng, culture));
    }
    if name.contains("{I}") {
        name = name.replace("{I}", rng.pick(PIZZERIAS));
    }
    name = name.replace("{C}", place);
    let form =
        if form_allowed { rng.weighted(legal_forms(sector, culture)).unwrap_or("") } else { "" };
    (name, form)
}

// ------------------------------------------------------------------ addresses and contacts

/// A postal address and the trunk area code of its place.
struct Located {
    address: Address,
    area_code: &'static str,
    place: &'static str,
}

fn house_number(rng: &mut Rng, culture: Culture) -> String {
    // Small numbers are more common than large ones.
    let n = if rng.chance(700) { rng.range(1, 60) } else { rng.range(61, 250) };
    match (culture, rng.below(100)) {
        (Culture::Dutch, 0..=4) => format!("{n}{}", rng.pick(&["a", "b", "c"])),
        (Culture::Dutch, 5..=7) => format!("{n}-{}", rng.range(1, 3)),
        (Culture::Flemish, 0..=6) => format!("{n} bus {}", rng.range(1, 12)),
        (Culture::Walloon, 0..=6) => format!("{n} bte {}", rng.range(1, 12)),
        (Culture::Walloon, 7..=8) => format!("{n}bis"),
        _ => n.to_string(),
    }
}

/// Letters Dutch postal codes use (F, I, O, Q, U and Y are never used).
const NL_POSTAL_LETTERS: &[u8] = b"ABCDEGHJKLMNPRSTVWXZ";

fn nl_postal_code(rng: &mut Rng, from: u16, to: u16) -> String {
    let n = rng.range(i64::from(from), i64::from(to));
    loop {
        let a = char::from(rng.pick(NL_POSTAL_LETTERS));
        let b = char::from(rng.pick(NL_POSTAL_LETTERS));
        // SA, SD and SS are not issued.
        if a == 'S' && matches!(b, 'A' | 'D' | 'S') {
            continue;
        }
        return format!("{n} {a}{b}");
    }
}

fn be_place(rng: &mut Rng, region: BeRegion) -> BePlace {
    let l = &*LISTS;
    rng.pick(match region {
        BeRegion::Flanders => &l.be_flanders,
        BeRegion::Wallonia => &l.be_wallonia,
        BeRegion::Brussels => &l.be_brussels,
    })
}

fn locate(rng: &mut Rng, culture: Culture, region: BeRegion) -> Located {
    let l = &*LISTS;
    let number = house_number(rng, culture);
    match culture {
        Culture::Dutch => {
            let p = rng.pick(&l.nl_places);
            let street = rng.pick(&l.nl_streets);
            Located {
                address: Address {
                    street: Some(format!("{street} {number}")),
                    postal_code: Some(nl_postal_code(rng, p.postal_from, p.postal_to)),
                    city: Some(p.name.to_owned()),
                    country: Some(CountryCode::NL),
                },
                area_code: p.area_code,
                place: p.name,
            }
        }
        Culture::Flemish | Culture::Walloon => {
            let p = be_place(rng, region);
            let (street, city) = if culture.french() {
                (rng.pick(&l.be_fr_streets), p.name_fr)
            } else {
                (rng.pick(&l.be_nl_streets), p.name_nl)
            };
            Located {
                address: Address {
                    street: Some(format!("{street} {number}")),
                    postal_code: Some(p.postal_code.to_owned()),
                    city: Some(city.to_owned()),
                    country: Some(CountryCode::BE),
                },
                area_code: p.area_code,
                place: city,
            }
        }
    }
}

/// A landline number in international form: `+31 20 123 4567`, `+32 2 123 45 67`.
fn landline(rng: &mut Rng, country: CountryCode, area_code: &str) -> String {
    let prefix = if country == CountryCode::BE { "+32" } else { "+31" };
    // The subscriber number fills the national number up to 9 (NL) or 8 (BE) digits.
    let national: usize = if country == CountryCode::BE { 8 } else { 9 };
    let rest = national.saturating_sub(area_code.len());
    let mut sub = digits(rng, u32::try_from(rest).unwrap_or(6));
    // Subscriber numbers do not start with 0 or 1.
    sub.replace_range(0..1, &rng.range(2, 9).to_string());
    let grouped = match (country == CountryCode::BE, rest) {
        (false, 7) => format!("{} {}", &sub[..3], &sub[3..]),
        (_, 7) => format!("{} {} {}", &sub[..3], &sub[3..5], &sub[5..]),
        (_, 6) => format!("{} {} {}", &sub[..2], &sub[2..4], &sub[4..]),
        _ => sub,
    };
    format!("{prefix} {area_code} {grouped}")
}

/// A mobile number: `+31 6 1234 5678`, `+32 475 12 34 56`.
fn mobile(rng: &mut Rng, country: CountryCode) -> String {
    if country == CountryCode::BE {
        let d = digits(rng, 6);
        format!("+32 4{} {} {} {}", rng.range(60, 99), &d[..2], &d[2..4], &d[4..])
    } else {
        let d = digits(rng, 8);
        format!("+31 6 {} {}", &d[..4], &d[4..])
    }
}

const NL_MAIL_PROVIDERS: &[&str] = &[
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "hotmail.com",
    "outlook.com",
    "ziggo.nl",
    "kpnmail.nl",
    "live.nl",
    "hotmail.nl",
    "icloud.com",
    "xs4all.nl",
    "planet.nl",
];
const BE_NL_MAIL_PROVIDERS: &[&str] = &[
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "hotmail.com",
    "outlook.com",
    "telenet.be",
    "telenet.be",
    "skynet.be",
    "proximus.be",
    "hotmail.be",
    "live.be",
    "icloud.com",
];
const BE_FR_MAIL_PROVIDERS: &[&str] = &[
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "hotmail.com",
    "outlook.com",
    "skynet.be",
    "proximus.be",
    "voo.be",
    "hotmail.be",
    "live.be",
    "yahoo.fr",
    "icloud.com",
];

fn personal_email(rng: &mut Rng, culture: Culture, first: &str, surname: &str) -> String {
    let first = ascii_slug(first, None);
    let last = ascii_slug(surname, None);
    let local = match rng.below(5) {
        0 => format!("{}{last}", first.chars().next().unwrap_or('x')),
        1 => format!("{first}{}", rng.range(60, 99)),
        2 => format!("{first}.{last}{}", rng.range(1, 99)),
        _ => format!("{first}.{last}"),
    };
    let provider = rng.pick(match culture {
        Culture::Dutch => NL_MAIL_PROVIDERS,
        Culture::Flemish => BE_NL_MAIL_PROVIDERS,
        Culture::Walloon => BE_FR_MAIL_PROVIDERS,
    });
    format!("{local}@{provider}")
}

fn business_emails(rng: &mut Rng, culture: Culture, name: &str) -> Vec<Contact> {
    let tld = if culture == Culture::Dutch { "nl" } else { "be" };
    let mut domain = ascii_slug(name, Some('-'));
    domain.truncate(40);
    let domain = domain.trim_end_matches('-');
    let billing = rng.pick(if culture.french() {
        &["comptabilite", "factures", "administration", "compta"][..]
    } else {
        &["administratie", "facturen", "boekhouding", "crediteuren", "finance"][..]
    });
    let mut out = vec![Contact {
        value: format!("{billing}@{domain}.{tld}"),
        purpose: ContactPurpose::Billing,
    }];
    if rng.chance(450) {
        out.push(Contact {
            value: format!("info@{domain}.{tld}"),
            purpose: ContactPurpose::General,
        });
    }
    out
}

/// The name on a consumer's bank account as a statement shows it.
fn consumer_holder(rng: &mut Rng, first: &str, surname: &str) -> String {
    let initial = first.chars().next().unwrap_or('X');
    match rng.below(100) {
        0..=39 => format!("{initial}. {}", capitalised(surname)),
        40..=59 => format!("{initial} {}", surname.to_uppercase()),
        60..=84 => format!("{first} {surname}"),
        _ => {
            let second = char::from(b'A' + u8::try_from(rng.below(26)).unwrap_or(0));
            format!("{initial}.{second}. {}", capitalised(surname))
        }
    }
}

// ------------------------------------------------------------------ debtors

/// How a demo debtor was drawn: country and region follow the creditor's country.
fn culture_and_region(rng: &mut Rng, org: OrgCountry) -> (Culture, BeRegion) {
    // A few customers come from across the border.
    let home = !rng.chance(50);
    if home && org == OrgCountry::Nl || !home && org == OrgCountry::Be {
        return (Culture::Dutch, BeRegion::Flanders);
    }
    if org == OrgCountry::Nl {
        // Dutch creditors' Belgian customers are mostly Flemish.
        return (Culture::Flemish, BeRegion::Flanders);
    }
    // Flanders 55 %, Wallonia 33 %, Brussels 12 % (70 % French-speaking): about 41 % French.
    match rng.below(1000) {
        0..=549 => (Culture::Flemish, BeRegion::Flanders),
        550..=879 => (Culture::Walloon, BeRegion::Wallonia),
        _ if rng.chance(700) => (Culture::Walloon, BeRegion::Brussels),
        _ => (Culture::Flemish, BeRegion::Brussels),
    }
}

/// Account managers ("owners") of business debtors, per creditor country.
pub(crate) fn owners(org: OrgCountry) -> &'static [&'static str] {
    match org {
        OrgCountry::Nl => &[
            "Sanne de Vries",
            "Mark Jansen",
            "Fatima El Amrani",
            "Joost Bakker",
            "Lotte Visser",
            "Ruben de Graaf",
        ],
        OrgCountry::Be => &[
            "Sofie Peeters",
            "Koen Janssens",
            "Marie Dubois",
            "Julien Lambert",
            "Lien Maes",
            "Thomas Claes",
        ],
    }
}

/// Per mille of business debtors, by creditor country.
fn business_share(org: OrgCountry) -> u32 {
    match org {
        OrgCountry::Nl => 700,
        OrgCountry::Be => 680,
    }
}

/// The debtor with index `index` (0-based) of the demo for `seed`.
pub(crate) fn debtor(seed: u64, org: OrgCountry, index: u64) -> Party {
    let mut rng = Rng::stream(seed, 1, index);
    let (culture, region) = culture_and_region(&mut rng, org);
    let country = culture.country();
    let business = rng.chance(business_share(org));
    let located = locate(&mut rng, culture, region);
    let number = (10_001 + index).to_string();
    let (first_iban, _) = if country == CountryCode::NL {
        unique_nl_iban(&mut rng, seed, index)
    } else {
        unique_be_iban(seed, index)
    };
    let mut ibans = vec![first_iban];
    if rng.chance(if business { 150 } else { 80 }) {
        let (second, _) = if country == CountryCode::NL {
            unique_nl_iban(&mut rng, seed, index + SECOND_ACCOUNT_OFFSET)
        } else {
            unique_be_iban(seed, index + SECOND_ACCOUNT_OFFSET)
        };
        ibans.push(second);
    }
    let (name, kind, emails, phones, vat, enterprise, segments, owner, sector, holder);
    if business {
        let s = rng
            .weighted(&[
                (Sector::Retail, 250),
                (Sector::Wholesale, 200),
                (Sector::Horeca, 180),
                (Sector::Construction, 220),
                (Sector::Healthcare, 150),
            ])
            .unwrap_or(Sector::Retail);
        let (base, form) = business_name(&mut rng, s, culture, located.place);
        name = if form.is_empty() { base.clone() } else { format!("{base} {form}") };
        kind = DebtorKind::Business;
        emails = business_emails(&mut rng, culture, &base);
        let mut p = vec![Contact {
            value: landline(&mut rng, country, located.area_code),
            purpose: ContactPurpose::General,
        }];
        if rng.chance(400) {
            p.push(Contact { value: mobile(&mut rng, country), purpose: ContactPurpose::Mobile });
        }
        phones = p;
        if country == CountryCode::NL {
            vat = Some(unique_nl_vat(seed, index));
            enterprise = None;
        } else {
            let e = unique_be_enterprise(seed, index);
            vat = Some(format!("BE{e}"));
            enterprise = Some(e);
        }
        segments = vec![s.segment().to_owned()];
        owner = Some(rng.pick(owners(org)).to_owned());
        sector = Some(s);
        holder = if rng.chance(300) { name.to_uppercase() } else { name.clone() };
    } else {
        let (first, surname) = person(&mut rng, culture);
        name = format!("{first} {surname}");
        kind = DebtorKind::Consumer;
        emails = vec![Contact {
            value: personal_email(&mut rng, culture, first, surname),
            purpose: ContactPurpose::General,
        }];
        phones = vec![if rng.chance(800) {
            Contact { value: mobile(&mut rng, country), purpose: ContactPurpose::Mobile }
        } else {
            Contact {
                value: landline(&mut rng, country, located.area_code),
                purpose: ContactPurpose::General,
            }
        }];
        vat = None;
        enterprise = None;
        segments = vec![CONSUMER_SEGMENT.to_owned()];
        owner = None;
        sector = None;
        holder = consumer_holder(&mut rng, first, surname);
    }
    Party {
        debtor: Debtor {
            number,
            name,
            kind,
            country,
            language: culture.language(),
            emails,
            phones,
            address: located.address,
            vat_number: vat,
            enterprise_number: enterprise,
            ibans,
            segments,
            owner,
            credit_limit: None,
            pause: None,
        },
        culture,
        sector,
        holder,
    }
}

// ------------------------------------------------------------------ the organisation

/// The creditor of the demo: a supplier with a Dutch or Belgian company name, an IBAN and a BIC
/// of the same bank, and its country's company and VAT numbers.
pub(crate) fn organisation(seed: u64, country: OrgCountry, slug: Slug) -> Organisation {
    let mut rng = Rng::stream(seed, 0, 0);
    let culture = match country {
        OrgCountry::Nl => Culture::Dutch,
        OrgCountry::Be if rng.chance(600) => Culture::Flemish,
        OrgCountry::Be => Culture::Walloon,
    };
    let (_, surname) = person(&mut rng, culture);
    let trade = rng.pick(match culture {
        Culture::Dutch => &[
            "Groothandel",
            "Installatietechniek",
            "Kantoorinrichting",
            "Bouwmaterialen",
            "Technische Handel",
            "Horecagroothandel",
            "Verpakkingen",
        ][..],
        Culture::Flemish => {
            &["Groothandel", "Distributie", "Bouwmaterialen", "Kantoorinrichting", "Technics"][..]
        }
        Culture::Walloon => {
            &["Distribution", "Matériaux", "Équipements", "Fournitures", "Techniques"][..]
        }
    });
    let form = match culture {
        Culture::Dutch => "B.V.",
        Culture::Flemish => rng.pick(&["NV", "BV"]),
        Culture::Walloon => rng.pick(&["SA", "SRL"]),
    };
    let name = format!("{} {trade} {form}", capitalised(surname));
    let mut org = Organisation::new(slug, name, country);
    org.language = culture.language();
    // The index just below the top of the domains is never a debtor's.
    let own = u64::from(u32::MAX);
    match country {
        OrgCountry::Nl => {
            let (iban, bic) = unique_nl_iban(&mut rng, seed ^ 0xc0de, own);
            org.iban = Some(iban);
            org.bic = Some(bic.to_owned());
            org.kvk_number = Some(rng.range(10_000_000, 99_999_999).to_string());
            org.vat_number = Some(nl_vat_number(rng.below(NL_VAT_DOMAIN)));
        }
        OrgCountry::Be => {
            let (iban, bic) = unique_be_iban(seed ^ 0xc0de, own);
            org.iban = Some(iban);
            org.bic = Some(bic.to_owned());
            let e = be_enterprise_number(rng.below(BE_ENTERPRISE_DOMAIN));
            org.vat_number = Some(format!("BE{e}"));
            org.enterprise_number = Some(e);
        }
    }
    org
}

/// The organisation's debtors' currency: demo data is all in euro.
pub(crate) fn currency() -> Currency {
    Currency::EUR
}

/// A credit limit rounded up to a whole thousand (or five thousand above 25,000) euro.
pub(crate) fn round_limit(minor: i64) -> Money {
    let euros = minor / 100;
    let step = if euros > 25_000 { 5_000 } else { 1_000 };
    let rounded = (euros + step - 1) / step * step;
    Money::from_minor(rounded.max(1_000) * 100, currency())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arflow_core::ident::{
        Bic, parse_be_enterprise_number, parse_iban, parse_nl_vat, parse_vat_number,
    };
    use arflow_core::party::{is_plausible_email, is_plausible_phone};

    #[test]
    fn generated_identifiers_pass_the_core_validators() {
        for n in 0..5_000 {
            let nl = nl_vat_number(n * 7_919);
            assert_eq!(parse_nl_vat(&nl).as_deref(), Ok(nl.as_str()), "{nl}");
            let be = be_enterprise_number(n * 1_601);
            assert_eq!(parse_be_enterprise_number(&be).as_deref(), Ok(be.as_str()), "{be}");
            assert!(parse_vat_number(&format!("BE{be}")).is_ok());
            let (iban, bic) = unique_be_iban(42, n);
            assert_eq!(parse_iban(&iban).as_deref(), Ok(iban.as_str()), "{iban}");
            assert!(Bic::parse(bic).is_ok());
            let mut rng = Rng::new(n);
            let (iban, bic) = unique_nl_iban(&mut rng, 42, n);
            assert_eq!(parse_iban(&iban).as_deref(), Ok(iban.as_str()), "{iban}");
            assert!(Bic::parse(bic).is_ok());
        }
    }

    #[test]
    fn the_elfproef_fallback_uses_the_2020_check() {
        // 00000000 gives the number zero, which is refused: the fallback must kick in.
        let v = nl_vat_number(0);
        assert!(parse_nl_vat(&v).is_ok(), "{v}");
        // Find a body whose elfproef check digit would be 10.
        let body = (1..10_000_u64)
            .find(|b| {
                let d = format!("{b:08}");
                let s: u64 =
                    d.bytes().zip((2..=9).rev()).map(|(x, w)| u64::from(x - b'0') * w).sum();
                s % 11 == 10
            })
            .unwrap();
        let v = nl_vat_number(body);
        assert!(!v.ends_with("B01") || parse_nl_vat(&v).is_ok());
        assert!(parse_nl_vat(&v).is_ok(), "{v}");
    }

    #[test]
    fn debtors_look_real_and_validate() {
        for org in [OrgCountry::Nl, OrgCountry::Be] {
            let mut french = 0;
            let mut business = 0;
            for i in 0..2_000 {
                let mut p = debtor(7, org, i);
                let before = p.debtor.clone();
                p.debtor.normalize().unwrap();
                assert_eq!(p.debtor, before, "normalize changes nothing");
                assert!(
                    p.debtor.emails.iter().all(|c| is_plausible_email(&c.value)),
                    "{:?}",
                    p.debtor.emails
                );
                assert!(
                    p.debtor.phones.iter().all(|c| is_plausible_phone(&c.value)),
                    "{:?}",
                    p.debtor.phones
                );
                if let Some(v) = &p.debtor.vat_number {
                    assert_eq!(parse_vat_number(v).as_deref(), Ok(v.as_str()));
                }
                let pc = p.debtor.address.postal_code.clone().unwrap();
                if p.debtor.country == CountryCode::NL {
                    assert!(pc.len() == 7 && pc.as_bytes()[4] == b' ', "{pc}");
                } else {
                    assert!(pc.len() == 4 && pc.bytes().all(|b| b.is_ascii_digit()), "{pc}");
                }
                french += u32::from(p.debtor.language == Language::Fr);
                business += u32::from(p.debtor.kind == DebtorKind::Business);
            }
            assert!((1_250..=1_550).contains(&business), "{org}: {business} businesses");
            if org == OrgCountry::Be {
                assert!((650..=900).contains(&french), "{french} French-speaking");
            } else {
                assert_eq!(french, 0);
            }
        }
    }

    #[test]
    fn debtors_have_distinct_accounts_and_vat_numbers() {
        let mut ibans = std::collections::HashSet::new();
        let mut vats = std::collections::HashSet::new();
        for i in 0..20_000 {
            let p = debtor(3, OrgCountry::Be, i);
            for iban in &p.debtor.ibans {
                assert!(ibans.insert(iban.clone()), "{iban}");
            }
            if let Some(v) = p.debtor.vat_number {
                assert!(vats.insert(v.clone()), "{v}");
            }
        }
    }

    #[test]
    fn organisations_carry_valid_identifiers() {
        for seed in 0..50 {
            let nl = organisation(seed, OrgCountry::Nl, Slug::parse("demo-nl").unwrap());
            assert!(parse_iban(nl.iban.as_deref().unwrap()).is_ok());
            assert!(nl.iban.as_deref().unwrap()[4..8] == nl.bic.as_deref().unwrap()[..4]);
            assert!(arflow_core::ident::parse_kvk(nl.kvk_number.as_deref().unwrap()).is_ok());
            assert!(parse_vat_number(nl.vat_number.as_deref().unwrap()).is_ok());
            let be = organisation(seed, OrgCountry::Be, Slug::parse("demo-be").unwrap());
            assert!(parse_iban(be.iban.as_deref().unwrap()).is_ok());
            assert!(parse_be_enterprise_number(be.enterprise_number.as_deref().unwrap()).is_ok());
            assert!(parse_vat_number(be.vat_number.as_deref().unwrap()).is_ok());
        }
    }

    #[test]
    fn slugs_for_mail_fold_accents() {
        assert_eq!(ascii_slug("Électricité Lefèvre SRL", Some('-')), "electricite-lefevre-srl");
        assert_eq!(ascii_slug("'s-Hertogenbosch", None), "shertogenbosch");
        assert_eq!(ascii_slug("Bakkerij de Vries & Zn.", Some('-')), "bakkerij-de-vries-zn");
    }
}
