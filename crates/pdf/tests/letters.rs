//! Letters rendered end to end and read back with the tools a person would use: `pdftotext`,
//! `pdfinfo`, `pdftoppm` (Debian poppler-utils) and `zbarimg` (Debian zbar-tools). The tools are
//! required: `scripts/test` installs them, and a test fails, not skips, when one is missing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use arflow_core::epc::{EpcRequest, epc_payload};
use arflow_core::money::{Currency, Money};
use arflow_core::party::Language;
use arflow_pdf::{
    Letter, LetterCharge, LetterItem, Logo, LogoFormat, Party, PaymentBlock, PdfError, Renderer,
};

static RENDERER: LazyLock<Renderer> = LazyLock::new(Renderer::new);

// ---------------------------------------------------------------- tools

/// Runs a command-line tool and returns its standard output; panics (failing the test) when the
/// tool is missing or fails.
fn run(tool: &str, package: &str, args: &[&str]) -> Vec<u8> {
    let output = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!(
            "{tool} (Debian package {package}) could not be run: {e}. scripts/test installs it \
             (ensure_debian_packages in scripts/lib/tools.sh); by hand: apt-get install {package}"
        )
    });
    assert!(
        output.status.success(),
        "{tool} {args:?} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn write_pdf(name: &str, pdf: &[u8]) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("letters");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}-{}-{n}.pdf", std::process::id()));
    std::fs::write(&path, pdf).unwrap();
    path
}

/// The text of the PDF (or of pages `first..=last`), whitespace collapsed to single spaces.
fn pdf_text(pdf: &Path, pages: Option<(u32, u32)>) -> String {
    let mut args = Vec::new();
    let (first, last);
    if let Some((f, l)) = pages {
        first = f.to_string();
        last = l.to_string();
        args.extend(["-f", first.as_str(), "-l", last.as_str()]);
    }
    let path = pdf.to_str().unwrap();
    args.extend([path, "-"]);
    let text = String::from_utf8(run("pdftotext", "poppler-utils", &args)).unwrap();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn page_count(pdf: &Path) -> u32 {
    let info =
        String::from_utf8(run("pdfinfo", "poppler-utils", &[pdf.to_str().unwrap()])).unwrap();
    let line = info.lines().find(|l| l.starts_with("Pages:")).expect("pdfinfo prints Pages:");
    line.trim_start_matches("Pages:").trim().parse().unwrap()
}

/// Renders page 1 at 200 dpi and returns what `zbarimg` decodes, byte for byte.
fn decode_qr_on_page_one(pdf: &Path) -> Vec<u8> {
    let prefix = pdf.with_extension("page");
    run(
        "pdftoppm",
        "poppler-utils",
        &[
            "-r",
            "200",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            "-png",
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    // `-singlefile` appends `.png` to the prefix.
    let png = PathBuf::from(format!("{}.png", prefix.display()));
    // `--raw` prints the data without the symbology prefix; `-Sbinary` keeps the bytes as they
    // are in the symbol instead of guessing a character set; then one newline follows.
    let mut out =
        run("zbarimg", "zbar-tools", &["--quiet", "--raw", "-Sbinary", png.to_str().unwrap()]);
    if out.last() == Some(&b'\n') {
        out.pop();
    }
    out
}

// ---------------------------------------------------------------- letters

fn creditor() -> Party {
    Party {
        name: "Acme Incasso BV".into(),
        address_lines: vec!["Keizersgracht 123".into(), "1015 CJ Amsterdam".into()],
        iban: Some("NL91 ABNA 0417 1643 00".into()),
        bic: Some("ABNANL2A".into()),
        registration_lines: vec!["KvK 12345678".into(), "btw NL123456789B01".into()],
        accent_colour: Some("#0B6E4F".into()),
        logo: None,
    }
}

fn debtor(name: &str) -> Party {
    Party {
        name: name.into(),
        address_lines: vec!["Rue de la Loi 16".into(), "1000 Bruxelles".into(), "Belgique".into()],
        ..Party::default()
    }
}

fn item(n: usize) -> LetterItem {
    LetterItem {
        number: format!("F2026-{n:04}"),
        issue_date: "2026-01-15".into(),
        due_date: "2026-02-14".into(),
        amount: format!("{}.{:02}", 100 + n * 7, n % 100),
        open: format!("{}.{:02}", 50 + n * 3, n % 100),
    }
}

fn payload(name: &str) -> String {
    epc_payload(&EpcRequest {
        bic: Some("ABNANL2A".into()),
        name: name.into(),
        iban: "NL91ABNA0417164300".into(),
        amount: Some(Money::from_minor(1_317_45, Currency::EUR)),
        reference: Some("RF18 5390 0754 7034".into()),
        text: None,
        information: Some("Dank u wel".into()),
    })
    .unwrap()
}

fn letter(language: Language, debtor_name: &str, items: usize) -> Letter {
    let (title, paragraph) = match language {
        Language::Nl => ("Tweede herinnering", "Wij hebben nog geen betaling ontvangen."),
        Language::Fr => ("Deuxième rappel", "Nous n'avons pas encore reçu votre paiement."),
        Language::En => ("Second reminder", "We have not yet received your payment."),
        Language::De => ("Zweite Mahnung", "Wir haben Ihre Zahlung noch nicht erhalten."),
    };
    Letter {
        language,
        creditor: creditor(),
        debtor: debtor(debtor_name),
        place_date: "Amsterdam, 3 March 2026".into(),
        reference_line: "Customer 10023 · Our reference AR-2026-0042".into(),
        title: title.into(),
        paragraphs: vec![
            "Dear customer,".into(),
            paragraph.into(),
            "Line one of a paragraph\nline two of the same paragraph.".into(),
        ],
        items: (1..=items).map(item).collect(),
        charges: vec![
            LetterCharge {
                label: "Collection costs".into(),
                amount: "40.00".into(),
                explanation: "Art. 6:96 BW and Besluit vergoeding voor buitengerechtelijke \
                              incassokosten: 15% of the first EUR 2,500.00, at least EUR 40.00"
                    .into(),
            },
            LetterCharge {
                label: "Statutory commercial interest".into(),
                amount: "12.34".into(),
                explanation: "Art. 6:119a BW, 10.15% per year over 31 days".into(),
            },
        ],
        total_due: "1317.45".into(),
        currency: "EUR".into(),
        payment: PaymentBlock {
            iban: "NL91 ABNA 0417 1643 00".into(),
            bic: Some("ABNANL2A".into()),
            beneficiary: "Acme Incasso BV".into(),
            reference_display: "RF18 5390 0754 7034".into(),
            amount: "1317.45".into(),
            pay_by: "17 March 2026".into(),
        },
        epc_payload: Some(payload("Acme Incasso BV")),
        footer: "Acme Incasso BV · Keizersgracht 123 · 1015 CJ Amsterdam · www.acme.example".into(),
    }
}

fn assert_contains(text: &str, expected: &str) {
    assert!(text.contains(expected), "{expected:?} is missing from the text:\n{text}");
}

// ---------------------------------------------------------------- tests

#[test]
fn letters_in_all_four_languages_show_debtor_items_amounts_iban_and_reference() {
    let expected_labels = [
        (Language::Nl, ["Factuurdatum", "Totaal te betalen", "Betalingskenmerk", "Pagina 1 van 1"]),
        (Language::Fr, ["Date de facture", "Total à payer", "Communication", "Page 1 sur 1"]),
        (Language::En, ["Invoice date", "Total due", "Reference", "Page 1 of 1"]),
        (Language::De, ["Rechnungsdatum", "Zu zahlen", "Verwendungszweck", "Seite 1 von 1"]),
    ];
    for (language, labels) in expected_labels {
        let letter = letter(language, "Brasserie Ölçü & Fils SRL", 3);
        let pdf = RENDERER.render(&letter).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let path = write_pdf(language.as_str(), &pdf);
        let text = pdf_text(&path, None);
        for expected in [
            "Brasserie Ölçü & Fils SRL",
            "Rue de la Loi 16",
            "F2026-0001",
            "F2026-0002",
            "F2026-0003",
            "107.01",
            "59.03",
            "EUR 1317.45",
            "40.00",
            "Art. 6:119a BW",
            "NL91 ABNA 0417 1643 00",
            "ABNANL2A",
            "RF18 5390 0754 7034",
            "KvK 12345678",
            "www.acme.example",
            letter.title.as_str(),
        ] {
            assert_contains(&text, expected);
        }
        for label in labels {
            assert_contains(&text, label);
        }
        assert_eq!(page_count(&path), 1, "{language}");
    }
}

#[test]
fn the_qr_code_reads_back_as_the_epc_payload_byte_for_byte() {
    for name in ["Acme Incasso BV", "Crème Brûlée & Zoë BV"] {
        let mut letter = letter(Language::Nl, "Jansen Bouw BV", 2);
        letter.epc_payload = Some(payload(name));
        let path = write_pdf("qr", &RENDERER.render(&letter).unwrap());
        let decoded = decode_qr_on_page_one(&path);
        assert_eq!(
            String::from_utf8_lossy(&decoded),
            letter.epc_payload.as_deref().unwrap(),
            "decoded QR differs from the payload"
        );
        assert_eq!(decoded, letter.epc_payload.as_deref().unwrap().as_bytes());
    }
}

#[test]
fn a_letter_without_payload_has_no_qr_code_but_still_the_payment_details() {
    let mut letter = letter(Language::En, "Jansen Bouw BV", 2);
    letter.epc_payload = None;
    letter.payment.bic = None;
    letter.payment.pay_by = String::new();
    let path = write_pdf("no-qr", &RENDERER.render(&letter).unwrap());
    let text = pdf_text(&path, None);
    assert_contains(&text, "Payment details");
    assert_contains(&text, "RF18 5390 0754 7034");
    assert!(!text.contains("Scan with your banking app"));
    assert!(!text.contains("Pay by"));
}

#[test]
fn sixty_items_run_onto_more_pages_with_the_table_header_repeated() {
    let letter = letter(Language::Nl, "Jansen Bouw BV", 60);
    let path = write_pdf("long", &RENDERER.render(&letter).unwrap());
    let pages = page_count(&path);
    assert!(pages > 1, "60 items fit on {pages} page(s)");
    let all = pdf_text(&path, None);
    for n in 1..=60 {
        assert_contains(&all, &format!("F2026-{n:04}"));
    }
    let second = pdf_text(&path, Some((2, 2)));
    assert_contains(&second, "Factuur Factuurdatum Vervaldatum");
    assert_contains(&second, &format!("Pagina 2 van {pages}"));
    // The last item, the total line and the payment block come in that order, the payment
    // block on the last page.
    let page_of = |needle: &str| {
        (1..=pages).find(|&p| pdf_text(&path, Some((p, p))).contains(needle)).unwrap_or_else(|| {
            panic!("{needle:?} is on no page");
        })
    };
    let item_page = page_of("F2026-0060");
    let total_page = page_of("Totaal te betalen");
    assert_contains(&pdf_text(&path, Some((total_page, total_page))), "EUR 1317.45");
    assert!(item_page >= 2 && item_page <= total_page, "{item_page} {total_page}");
    assert_eq!(page_of("Betaalgegevens"), pages);
}

#[test]
fn markup_characters_in_user_text_appear_literally() {
    let tricky = r#"#set page(width: 1cm) *bold* $x^2$ [link] _under_ \ back`s` <l> @ref // "q""#;
    let mut letter = letter(Language::En, tricky, 1);
    letter.creditor.name = format!("Creditor {tricky}");
    letter.paragraphs = vec![format!("Paragraph {tricky}")];
    letter.items[0].number = "#F-1_*2*".into();
    letter.charges[0].explanation = format!("Explanation {tricky}");
    letter.payment.reference_display = "$ref$ #ref".into();
    letter.footer = format!("Footer {tricky}");
    let path = write_pdf("markup", &RENDERER.render(&letter).unwrap());
    // pdftotext turns a spacing grave accent before a letter into a combining one on it
    // (`back`s`` comes out as `backs\u{300}``): compare without backticks and that mark.
    let unquote = |s: &str| s.replace(['`', '\u{300}', ' '], "");
    let text = unquote(&pdf_text(&path, None));
    let expected = unquote(&tricky.split_whitespace().collect::<Vec<_>>().join(" "));
    for prefix in ["", "Creditor ", "Paragraph ", "Explanation ", "Footer "] {
        assert_contains(&text, &unquote(&format!("{prefix}{expected}")));
    }
    assert_contains(&text, "#F-1_*2*");
    assert_contains(&text, "$ref$#ref");
    assert_eq!(page_count(&path), 1);
}

#[test]
fn logos_in_png_and_svg_are_placed_and_a_broken_one_is_an_error() {
    const PNG: &[u8] = &[
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0xf0,
        0xca, 0xea, 0x34, 0x00, 0x00, 0x00, 0x10, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xe0,
        0xce, 0xf3, 0x87, 0x23, 0x06, 0x64, 0x0e, 0x00, 0x4f, 0x3a, 0x06, 0x41, 0x9f, 0xf6, 0xcd,
        0x4e, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];
    const SVG: &[u8] = br##"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><rect width="120" height="40" fill="#0B6E4F"/></svg>"##;
    for (format, bytes) in [(LogoFormat::Png, PNG), (LogoFormat::Svg, SVG)] {
        let mut letter = letter(Language::De, "Jansen Bouw BV", 1);
        letter.creditor.logo = Some(Logo { format, bytes: bytes.to_vec() });
        let path = write_pdf("logo", &RENDERER.render(&letter).unwrap());
        assert_eq!(page_count(&path), 1);
        // The logo must not push the QR code out of place.
        assert_eq!(decode_qr_on_page_one(&path), letter.epc_payload.unwrap().into_bytes());
    }
    let mut letter = letter(Language::De, "Jansen Bouw BV", 1);
    letter.creditor.logo = Some(Logo { format: LogoFormat::Png, bytes: b"not a png".to_vec() });
    let error = RENDERER.render(&letter).unwrap_err();
    assert!(matches!(&error, PdfError::Layout(m) if m.contains("decode image")), "{error}");
}

#[test]
fn broken_data_is_refused_before_layout() {
    let mut bad_colour = letter(Language::Nl, "X", 1);
    bad_colour.creditor.accent_colour = Some("red".into());
    assert_eq!(RENDERER.render(&bad_colour), Err(PdfError::AccentColour("red".into())));

    let mut too_many = letter(Language::Nl, "X", 0);
    too_many.debtor.address_lines = vec!["line".into(); 7];
    assert!(matches!(
        RENDERER.render(&too_many),
        Err(PdfError::TooMany { what: "debtor address lines", found: 7, max: 6 })
    ));

    let mut too_long = letter(Language::Nl, "X", 0);
    too_long.epc_payload = Some("x".repeat(400));
    assert!(matches!(RENDERER.render(&too_long), Err(PdfError::Qr(_))));
}

#[test]
fn the_renderer_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Renderer>();
    let pdfs: Vec<Vec<u8>> = std::thread::scope(|s| {
        let handles: Vec<_> = [Language::Fr, Language::De]
            .map(|language| s.spawn(move || RENDERER.render(&letter(language, "Y", 5)).unwrap()))
            .into_iter()
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(pdfs.iter().all(|pdf| pdf.starts_with(b"%PDF-")));
}

/// Prints the time per letter; run with `--nocapture` (and `--release` for the real figure).
#[test]
fn fifty_letters_are_timed() {
    let started = Instant::now();
    let renderer = Renderer::new();
    let loaded = started.elapsed();
    let letters: Vec<Letter> = (0..50)
        .map(|i| {
            let language = Language::ALL[i % Language::ALL.len()];
            let mut letter = letter(language, &format!("Debtor number {i}"), 1 + i % 8);
            letter.total_due = format!("{}.{:02}", 1000 + i, i);
            letter
        })
        .collect();
    let first = Instant::now();
    let pdf = renderer.render(&letters[0]).unwrap();
    let first = first.elapsed();
    let rest = Instant::now();
    let mut bytes = pdf.len();
    for letter in &letters[1..] {
        bytes += renderer.render(letter).unwrap().len();
    }
    let rest = rest.elapsed();
    println!(
        "pdf timing ({} build): renderer {:?}, first letter {:?}, then {:?} per letter over 49, \
         {} kB per letter",
        if cfg!(debug_assertions) { "debug" } else { "release" },
        loaded,
        first,
        rest / 49,
        bytes / 50 / 1024
    );
}
