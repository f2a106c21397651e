//! The messages of every dunning step in Dutch, French, English and German, and the sandbox that
//! renders them and the texts organisations edit.
//!
//! Each step has three parts, embedded from `templates/<lang>/<step>.{subject,txt,html}.j2`:
//! the subject line, the plain-text body and the HTML body. They are minijinja templates that
//! see the variables of [`View`] (listed in `templates/README.md`), with every amount and date
//! already written for the reader. HTML parts are auto-escaped; subjects and text are not.
//!
//! The environment is a sandbox: no file-system loader (only the embedded templates and the
//! organisation's own texts exist), strict undefined variables (a typo is an error, not an empty
//! string), a fuel budget and a recursion limit. Build one [`Templates`] per organisation.
//!
//! Two messages carry content the law prescribes: the Dutch consumer "veertiendagenbrief"
//! (`notice_of_default` from a Dutch creditor to a consumer, art. 6:96 lid 6 BW) and the Belgian
//! consumer's free first reminder (`be_consumer_first_reminder`, art. XIX.2 WER). Rendering them
//! checks that the output still states every mandatory element ([`required_elements`]), so an
//! edited text that drops one is refused when it is saved ([`Templates::check_override`]) and a
//! context that lacks one (no announced costs, no enterprise number) is refused when it is sent.
//!
//! # Examples
//! ```
//! use arflow_core::party::{DebtorKind, Language, OrgCountry};
//! use arflow_notify::templates::{RenderContext, StepKey, Templates};
//! let templates = Templates::builtin();
//! let ctx = RenderContext::sample(Language::Nl, OrgCountry::Nl, DebtorKind::Business);
//! let message = templates.render(StepKey::Reminder, Language::Nl, &ctx).unwrap();
//! assert!(message.subject.starts_with("Herinnering"));
//! assert!(message.text.contains("uiterlijk op 10 december 2026"));
//! ```

mod builtin;
mod context;
mod required;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use arflow_core::party::{DebtorKind, Language, OrgCountry};
use minijinja::value::{Serde, Value};
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior, context};
use serde::{Deserialize, Serialize};

pub use context::{
    CHARGES_MAX, Charge, ChargeView, Collector, CollectorView, Creditor, CreditorView, Debtor,
    DebtorView, ITEMS_MAX, Item, ItemView, Payment, PaymentView, RenderContext, TotalsView, View,
};
pub use required::{missing_elements, required_elements};

/// Fuel for one render: bounds time and memory (about 64 bytes per unit). A letter listing
/// [`ITEMS_MAX`] items uses well under a fifth of it.
pub const RENDER_FUEL: u64 = 2_000_000;
/// Nesting depth of includes, macros, loops and conditions.
pub const RECURSION_LIMIT: usize = 100;
/// Longest subject accepted, in characters.
pub const SUBJECT_CHARS_MAX: usize = 250;
/// Longest template text accepted, in bytes.
pub const TEMPLATE_BYTES_MAX: usize = 64 * 1024;

/// A step of a dunning policy, with its stable key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKey {
    /// Before the due date.
    Courtesy,
    /// Herinnering / rappel.
    Reminder,
    SecondReminder,
    /// Aanmaning / mise en demeure amiable.
    Demand,
    /// Ingebrekestelling / mise en demeure; for a Dutch creditor and a consumer the 14-day letter.
    NoticeOfDefault,
    /// The free first reminder a Belgian consumer must get before any cost (Book XIX WER).
    BeConsumerFirstReminder,
    /// Laatste sommatie / dernière sommation.
    PreLegal,
    /// The file goes to a bailiff or collection agency.
    Handover,
}

impl StepKey {
    pub const ALL: [StepKey; 8] = [
        StepKey::Courtesy,
        StepKey::Reminder,
        StepKey::SecondReminder,
        StepKey::Demand,
        StepKey::NoticeOfDefault,
        StepKey::BeConsumerFirstReminder,
        StepKey::PreLegal,
        StepKey::Handover,
    ];

    /// The stable key used in storage, file names and the API.
    pub const fn as_str(&self) -> &'static str {
        match self {
            StepKey::Courtesy => "courtesy",
            StepKey::Reminder => "reminder",
            StepKey::SecondReminder => "second_reminder",
            StepKey::Demand => "demand",
            StepKey::NoticeOfDefault => "notice_of_default",
            StepKey::BeConsumerFirstReminder => "be_consumer_first_reminder",
            StepKey::PreLegal => "pre_legal",
            StepKey::Handover => "handover",
        }
    }
}

impl fmt::Display for StepKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StepKey {
    type Err = TemplateError;
    fn from_str(text: &str) -> Result<StepKey, TemplateError> {
        StepKey::ALL.into_iter().find(|s| s.as_str() == text.trim()).ok_or_else(|| TemplateError {
            template: text.to_owned(),
            line: None,
            kind: TemplateErrorKind::UnknownTemplate,
            reason: format!("no dunning step is called {text:?}"),
        })
    }
}

/// One of the three parts of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Subject,
    Text,
    Html,
}

impl Part {
    const fn suffix(&self) -> &'static str {
        match self {
            Part::Subject => "subject.j2",
            Part::Text => "txt.j2",
            Part::Html => "html.j2",
        }
    }
}

/// The template name of a part: `nl/reminder.txt.j2`.
fn template_name(step: StepKey, language: Language, part: Part) -> String {
    format!("{}/{}.{}", language.as_str(), step.as_str(), part.suffix())
}

/// The texts of one step in one language, as an organisation edits them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateText {
    pub subject: String,
    pub text: String,
    /// `None`: the HTML body is made from the plain text (paragraphs, line breaks, the
    /// standard layout), so an organisation that edits only the text never sends two versions.
    pub html: Option<String>,
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    /// One line, at most [`SUBJECT_CHARS_MAX`] characters.
    pub subject: String,
    /// Ends with one newline; no trailing spaces, at most one blank line in a row.
    pub text: String,
    pub html: String,
}

/// What kind of problem a [`TemplateError`] is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "elements")]
pub enum TemplateErrorKind {
    /// The text is not a valid template.
    Syntax,
    /// A variable, attribute or key that does not exist.
    UndefinedVariable,
    /// An include or extends of a template that does not exist.
    UnknownTemplate,
    /// The fuel budget or the recursion limit ran out.
    TooMuchWork,
    /// Any other failure while rendering (bad filter argument, wrong type, too long subject).
    Render,
    /// The render context is inconsistent (currency, overflow, lists too long, no collector).
    Context,
    /// The output lacks elements the law requires; the list names them (see
    /// [`required_elements`]).
    MissingElements(Vec<String>),
}

/// Why a template cannot be saved or rendered, with the line where a person can fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{template}{}: {reason}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
pub struct TemplateError {
    /// The template (`nl/reminder.txt.j2`) or `context`.
    pub template: String,
    /// 1-based line in that template, when known.
    pub line: Option<usize>,
    pub kind: TemplateErrorKind,
    pub reason: String,
}

impl TemplateError {
    fn new(template: &str, kind: TemplateErrorKind, reason: String) -> TemplateError {
        TemplateError { template: template.to_owned(), line: None, kind, reason }
    }

    /// Translates a minijinja error, quoting the offending piece of `source` when it is known.
    fn from_engine(error: &minijinja::Error, name: &str, source: Option<&str>) -> TemplateError {
        let kind = match error.kind() {
            ErrorKind::SyntaxError | ErrorKind::BadEscape | ErrorKind::InvalidDelimiter => {
                TemplateErrorKind::Syntax
            }
            ErrorKind::UndefinedError => TemplateErrorKind::UndefinedVariable,
            ErrorKind::TemplateNotFound | ErrorKind::BadInclude | ErrorKind::UnknownBlock => {
                TemplateErrorKind::UnknownTemplate
            }
            ErrorKind::OutOfFuel => TemplateErrorKind::TooMuchWork,
            ErrorKind::InvalidOperation
                if error.detail().is_some_and(|d| d.contains("recursion")) =>
            {
                TemplateErrorKind::TooMuchWork
            }
            _ => TemplateErrorKind::Render,
        };
        let mut reason = match error.detail() {
            Some(detail) => format!("{}: {detail}", error.kind()),
            None => error.kind().to_string(),
        };
        // The span of the failing expression, when the engine knows it and the failure happened
        // in the template we have the source of (not in an included one).
        let same_template = error.name().is_none_or(|n| n == name);
        if let (Some(range), Some(source), true) = (error.range(), source, same_template)
            && let Some(piece) = source.get(range)
        {
            reason.push_str(&format!(" (at `{}`)", piece.trim()));
        }
        TemplateError {
            template: error.name().unwrap_or(name).to_owned(),
            line: error.line(),
            kind,
            reason,
        }
    }
}

/// Checks that `text` is a well-formed template (syntax only; variables and includes are
/// checked by rendering, see [`Templates::check_override`]).
///
/// # Errors
/// [`TemplateErrorKind::Syntax`] with the line, or when the text is longer than
/// [`TEMPLATE_BYTES_MAX`].
///
/// # Examples
/// ```
/// use arflow_notify::templates::validate;
/// assert!(validate("Beste {{ debtor.name }},").is_ok());
/// let error = validate("regel 1\n{% if x %}open").unwrap_err();
/// assert_eq!(error.line, Some(2));
/// ```
pub fn validate(text: &str) -> Result<(), TemplateError> {
    if text.len() > TEMPLATE_BYTES_MAX {
        return Err(TemplateError::new(
            "text",
            TemplateErrorKind::Syntax,
            format!("{} bytes; a template holds at most {TEMPLATE_BYTES_MAX}", text.len()),
        ));
    }
    let env = environment();
    env.template_from_named_str("text", text)
        .map(|_| ())
        .map_err(|e| TemplateError::from_engine(&e, "text", Some(text)))
}

/// The sandboxed environment shared by built-in and edited templates.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(RENDER_FUEL));
    env.set_recursion_limit(RECURSION_LIMIT);
    env.set_debug(false);
    // `debug()` would dump the whole context into a letter; nothing needs it.
    env.remove_global("debug");
    if let Ok(syntax) =
        minijinja::syntax::SyntaxConfig::builder().trim_blocks(true).lstrip_blocks(true).build()
    {
        env.set_syntax(syntax);
    }
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html.j2") { AutoEscape::Html } else { AutoEscape::None }
    });
    env
}

/// The templates of one organisation: the built-in texts, with its own edits on top.
#[derive(Clone)]
pub struct Templates {
    env: Environment<'static>,
    /// Steps whose HTML body is made from the edited plain text.
    html_from_text: HashSet<(StepKey, Language)>,
    overrides: usize,
}

impl fmt::Debug for Templates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Templates")
            .field("templates", &self.env.templates().count())
            .field("overrides", &self.overrides)
            .finish()
    }
}

impl Templates {
    /// The built-in texts of every step in every language.
    pub fn builtin() -> Templates {
        let mut env = environment();
        for (name, source) in builtin::FILES {
            // The built-in files are checked by the tests; a broken one would fail there.
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = name, error = %e, "built-in template does not compile");
            }
        }
        Templates { env, html_from_text: HashSet::new(), overrides: 0 }
    }

    /// The built-in texts with an organisation's edits on top.
    ///
    /// # Errors
    /// The first edit that is not a valid template ([`TemplateErrorKind::Syntax`]). This checks
    /// syntax only; run [`Templates::check_override`] when an edit is saved.
    pub fn with_overrides(
        overrides: HashMap<(StepKey, Language), TemplateText>,
    ) -> Result<Templates, TemplateError> {
        let mut templates = Templates::builtin();
        let mut keys: Vec<_> = overrides.keys().copied().collect();
        keys.sort();
        for key in keys {
            let (step, language) = key;
            let Some(text) = overrides.get(&key) else { continue };
            let mut parts = vec![(Part::Subject, &text.subject), (Part::Text, &text.text)];
            match &text.html {
                Some(html) => parts.push((Part::Html, html)),
                None => {
                    templates.html_from_text.insert(key);
                }
            }
            for (part, source) in parts {
                let name = template_name(step, language, part);
                validate(source).map_err(|e| TemplateError { template: name.clone(), ..e })?;
                templates
                    .env
                    .add_template_owned(name.clone(), source.clone())
                    .map_err(|e| TemplateError::from_engine(&e, &name, Some(source)))?;
            }
            templates.overrides += 1;
        }
        Ok(templates)
    }

    /// The built-in texts of a step, as the starting point of an edit.
    pub fn builtin_text(step: StepKey, language: Language) -> TemplateText {
        let source = |part| {
            let name = template_name(step, language, part);
            builtin::FILES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, s)| (*s).to_owned())
                .unwrap_or_default()
        };
        TemplateText {
            subject: source(Part::Subject),
            text: source(Part::Text),
            html: Some(source(Part::Html)),
        }
    }

    /// Renders a step and checks the mandatory elements of the letters that have them.
    ///
    /// `language` is the language of the texts and of the amounts and dates in them.
    ///
    /// # Errors
    /// - [`TemplateErrorKind::Context`]: see [`RenderContext::view`]; also `handover` without a
    ///   collector, and a Belgian consumer's first reminder that carries charges;
    /// - [`TemplateErrorKind::MissingElements`]: the output of the Dutch 14-day letter or the
    ///   Belgian first reminder lacks a mandatory element;
    /// - any other kind: the template fails (undefined variable, fuel, …).
    pub fn render(
        &self,
        step: StepKey,
        language: Language,
        ctx: &RenderContext,
    ) -> Result<Rendered, TemplateError> {
        if step == StepKey::BeConsumerFirstReminder
            && ctx.debtor.kind == DebtorKind::Consumer
            && !ctx.charges.is_empty()
        {
            // Art. XIX.2 WER: the first reminder is free, and nothing may be charged before
            // its term has passed.
            return Err(TemplateError::new(
                "context",
                TemplateErrorKind::Context,
                "the first reminder of a Belgian consumer is free: it cannot carry charges".into(),
            ));
        }
        let view = ctx.view_in(language)?;
        let rendered = self.render_view(step, language, &view)?;
        let missing =
            missing_elements(step, ctx.creditor.country, ctx.debtor.kind, &view, &rendered);
        if !missing.is_empty() {
            return Err(TemplateError::new(
                &template_name(step, language, Part::Text),
                TemplateErrorKind::MissingElements(missing.clone()),
                format!("the message lacks mandatory elements: {}", missing.join(", ")),
            ));
        }
        Ok(rendered)
    }

    /// Renders a step without checking mandatory elements: for previews that show what is
    /// missing instead of refusing.
    ///
    /// # Errors
    /// As [`Templates::render`], without [`TemplateErrorKind::MissingElements`].
    pub fn render_unchecked(
        &self,
        step: StepKey,
        language: Language,
        ctx: &RenderContext,
    ) -> Result<Rendered, TemplateError> {
        let view = ctx.view_in(language)?;
        self.render_view(step, language, &view)
    }

    fn render_view(
        &self,
        step: StepKey,
        language: Language,
        view: &View,
    ) -> Result<Rendered, TemplateError> {
        if step == StepKey::Handover && view.collector.is_none() {
            return Err(TemplateError::new(
                "context",
                TemplateErrorKind::Context,
                "a handover message needs the collector it hands the file to".into(),
            ));
        }
        let base = Value::from(Serde(view));
        let subject = self.render_part(step, language, Part::Subject, base.clone())?;
        // One line; no-break spaces (inside amounts) stay.
        let subject = subject.split_ascii_whitespace().collect::<Vec<_>>().join(" ");
        if subject.is_empty() || subject.chars().count() > SUBJECT_CHARS_MAX {
            return Err(TemplateError::new(
                &template_name(step, language, Part::Subject),
                TemplateErrorKind::Render,
                format!(
                    "the subject must have 1 to {SUBJECT_CHARS_MAX} characters, not {}",
                    subject.chars().count()
                ),
            ));
        }
        let with_subject = context! { subject => subject.clone(), ..base };
        let text =
            tidy_text(&self.render_part(step, language, Part::Text, with_subject.clone())?);
        let html = if self.html_from_text.contains(&(step, language)) {
            self.html_from_text(&text, with_subject)?
        } else {
            self.render_part(step, language, Part::Html, with_subject)?
        };
        Ok(Rendered { subject, text, html })
    }

    fn render_part(
        &self,
        step: StepKey,
        language: Language,
        part: Part,
        ctx: Value,
    ) -> Result<String, TemplateError> {
        let name = template_name(step, language, part);
        let template = self
            .env
            .get_template(&name)
            .map_err(|e| TemplateError::from_engine(&e, &name, None))?;
        template
            .render(ctx)
            .map_err(|e| TemplateError::from_engine(&e, &name, Some(template.source())))
    }

    /// The HTML body of a message that is not a dunning step (a confirmation, a plan
    /// reminder): `text`'s paragraphs, escaped, in the standard layout with the organisation's
    /// accent colour.
    ///
    /// # Errors
    /// Only if the layout does not render (a bug).
    pub fn notice_html(
        &self,
        subject: &str,
        language: Language,
        accent_colour: &str,
        text: &str,
    ) -> Result<String, TemplateError> {
        let ctx = context! {
            subject => subject,
            language => language.as_str(),
            accent_colour => accent_colour,
        };
        self.html_from_text(text, ctx)
    }

    /// The HTML body of an edited plain text: escaped paragraphs in the standard layout.
    fn html_from_text(&self, text: &str, ctx: Value) -> Result<String, TemplateError> {
        let mut body = String::with_capacity(text.len() + text.len() / 4);
        for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
            body.push_str("<p>");
            body.push_str(&escape_html(paragraph).replace('\n', "<br>\n"));
            body.push_str("</p>\n");
        }
        const NAME: &str = "html_from_text.html.j2";
        let layout = "{% extends \"_layout.html.j2\" %}{% block body %}{{ body }}{% endblock %}";
        let template = self
            .env
            .template_from_named_str(NAME, layout)
            .map_err(|e| TemplateError::from_engine(&e, NAME, Some(layout)))?;
        template
            .render(context! { body => Value::from_safe_string(body), ..ctx })
            .map_err(|e| TemplateError::from_engine(&e, NAME, Some(layout)))
    }

    /// Checks an organisation's edit of one step before it is saved: every part compiles, the
    /// step renders with a full sample context for a business and for a consumer debtor of a
    /// creditor in `creditor_country` (so unknown variables and includes show up now, not at
    /// sending time), and the mandatory elements of the 14-day letter and the Belgian first
    /// reminder are still there.
    ///
    /// # Errors
    /// The first problem found, with the part and line.
    pub fn check_override(
        step: StepKey,
        language: Language,
        text: &TemplateText,
        creditor_country: OrgCountry,
    ) -> Result<(), TemplateError> {
        let templates =
            Templates::with_overrides(HashMap::from([((step, language), text.clone())]))?;
        for kind in [DebtorKind::Business, DebtorKind::Consumer] {
            let mut ctx = RenderContext::sample(language, creditor_country, kind);
            if step == StepKey::BeConsumerFirstReminder {
                ctx.charges.clear();
            }
            templates.render(step, language, &ctx)?;
        }
        Ok(())
    }
}

/// Plain text as it goes out: no trailing spaces, at most one blank line in a row, no blank
/// lines at the start, one newline at the end.
fn tidy_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.lines().map(str::trim_end) {
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        out.push_str(line);
    }
    out.push('\n');
    out
}

/// Escapes text for HTML element content and attribute values.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}
