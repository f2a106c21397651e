//! ISO 3166-1 alpha-2 country codes, as a BIC's country part must be one of them.

/// Every officially assigned ISO 3166-1 alpha-2 code (249, per the ISO 3166 Maintenance Agency as
/// shipped in Debian's iso-codes 4.15), plus `XK`, the user-assigned code the European
/// Commission, SWIFT and the IBAN registry use for Kosovo. Sorted, so it can be searched.
#[rustfmt::skip]
const ALPHA2: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW",
    "AX", "AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN",
    "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG",
    "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ",
    "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI",
    "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL",
    "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR",
    "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA",
    "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME",
    "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU",
    "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP",
    "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR",
    "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC", "SD",
    "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV",
    "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE",
    "VG", "VI", "VN", "VU", "WF", "WS", "XK", "YE", "YT", "ZA", "ZM", "ZW",
];

/// Whether `code` (exactly two letters, case-insensitive) is an ISO 3166-1 alpha-2 country code
/// or `XK` (Kosovo).
///
/// # Examples
/// ```
/// use arflow_core::ident::is_iso3166_alpha2;
/// assert!(is_iso3166_alpha2("BE"));
/// assert!(is_iso3166_alpha2("xk"));
/// assert!(!is_iso3166_alpha2("IP"));
/// ```
#[must_use]
pub fn is_iso3166_alpha2(code: &str) -> bool {
    code.len() == 2 && ALPHA2.binary_search(&code.to_ascii_uppercase().as_str()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_complete_and_unique() {
        assert!(ALPHA2.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(ALPHA2.len(), 250);
    }

    #[test]
    fn codes_are_matched_exactly() {
        for code in ["NL", "BE", "DE", "GB", "US", "AQ", "ZW"] {
            assert!(is_iso3166_alpha2(code), "{code}");
        }
        for code in ["UK", "EU", "IP", "B", "BEL", "", "1E"] {
            assert!(!is_iso3166_alpha2(code), "{code}");
        }
    }
}
