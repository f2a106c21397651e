//! The OpenAPI 3.1 description of the REST API, written by hand.
//!
//! A test compares its (method, path) pairs with [`crate::routes`], so a route cannot be added
//! without being described here, nor described without being served.

use serde_json::{Value, json};

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn nullable(schema: Value) -> Value {
    json!({ "oneOf": [schema, { "type": "null" }] })
}

fn text_or_null(description: &str) -> Value {
    json!({ "type": ["string", "null"], "description": description })
}

fn list_of(item: &str) -> Value {
    json!({
        "type": "object",
        "required": ["data", "next_cursor"],
        "properties": {
            "data": { "type": "array", "items": r(item) },
            "next_cursor": {
                "type": ["string", "null"],
                "description": "Pass as `cursor` to get the next page; null on the last page (a page that is not full)."
            }
        }
    })
}

fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
}

fn param(name: &str) -> Value {
    json!({ "$ref": format!("#/components/parameters/{name}") })
}

fn json_body(schema: &str) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": r(schema) } } })
}

fn ok(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

fn created(description: &str, schema: &str) -> Value {
    json!({
        "description": description,
        "headers": { "Location": { "description": "URL of the new resource", "schema": { "type": "string" } } },
        "content": { "application/json": { "schema": r(schema) } }
    })
}

fn err(name: &str) -> Value {
    json!({ "$ref": format!("#/components/responses/{name}") })
}

/// One operation. `responses` are given as (status, response) pairs; 401 and 500 are added for
/// operations that need a token.
fn op(
    id: &str,
    tag: &str,
    summary: &str,
    description: &str,
    parameters: Vec<Value>,
    body: Option<Value>,
    responses: Vec<(&str, Value)>,
    public: bool,
) -> Value {
    let mut rs = serde_json::Map::new();
    for (status, response) in responses {
        rs.insert(status.to_owned(), response);
    }
    if !public {
        rs.insert("401".into(), err("Unauthorized"));
    }
    rs.insert("500".into(), err("Internal"));
    let mut o = json!({
        "operationId": id,
        "tags": [tag],
        "summary": summary,
        "description": description,
        "parameters": parameters,
        "responses": Value::Object(rs),
    });
    if let Some(b) = body {
        o["requestBody"] = b;
    }
    if public {
        o["security"] = json!([]);
    }
    o
}

fn page_params() -> Vec<Value> {
    vec![param("limit"), param("cursor")]
}

fn item_filters() -> Vec<Value> {
    vec![
        query(
            "status",
            "Settlement state.",
            json!({ "type": "string", "enum": ["open", "settled"] }),
        ),
        query(
            "debtor",
            "Only items of the debtor with this number (an unknown number gives an empty list).",
            json!({ "type": "string" }),
        ),
        query("segment", "Only items of debtors in this segment.", json!({ "type": "string" })),
        query("owner", "Only items of debtors with this owner.", json!({ "type": "string" })),
        query("currency", "Only items in this currency.", json!({ "type": "string" })),
        query(
            "issued_from",
            "Issued on or after this date.",
            json!({ "type": "string", "format": "date" }),
        ),
        query(
            "issued_to",
            "Issued on or before this date.",
            json!({ "type": "string", "format": "date" }),
        ),
    ]
}

fn paths() -> Value {
    let idem = param("IdempotencyKey");
    let mut invoice_filters = item_filters();
    invoice_filters.push(query(
        "overdue",
        "`true`: only invoices open and past their due date today (in the organisation's time zone).",
        json!({ "type": "string", "enum": ["true"] }),
    ));
    invoice_filters.extend(page_params());
    let mut credit_filters = item_filters();
    credit_filters.extend(page_params());
    let mut debtor_filters = vec![
        query(
            "search",
            "Case-insensitive part of the name, or the start of the number.",
            json!({ "type": "string" }),
        ),
        query("segment", "Only debtors in this segment.", json!({ "type": "string" })),
        query("owner", "Only debtors with this owner.", json!({ "type": "string" })),
        query(
            "kind",
            "Business or consumer.",
            json!({ "type": "string", "enum": ["business", "consumer"] }),
        ),
        query(
            "overdue",
            "`true`: only debtors with an item overdue today (in the organisation's time zone).",
            json!({ "type": "string", "enum": ["true"] }),
        ),
        query(
            "paused",
            "Only debtors whose dunning is paused (`true`) or not (`false`).",
            json!({ "type": "boolean" }),
        ),
        query(
            "due_from",
            "Only debtors with an open invoice due on or after this date (with `due_to`: an ageing bucket).",
            json!({ "type": "string", "format": "date" }),
        ),
        query(
            "due_to",
            "Only debtors with an open invoice due on or before this date.",
            json!({ "type": "string", "format": "date" }),
        ),
        query(
            "disputed",
            "`true`: only debtors with an open invoice in dispute.",
            json!({ "type": "string", "enum": ["true"] }),
        ),
        query(
            "in_payment_plan",
            "`true`: only debtors with an open invoice in a payment plan.",
            json!({ "type": "string", "enum": ["true"] }),
        ),
        query(
            "promised",
            "`true`: only debtors with an open invoice promised for today or later.",
            json!({ "type": "string", "enum": ["true"] }),
        ),
    ];
    debtor_filters.extend(page_params());
    let mut payment_filters = vec![
        query(
            "debtor",
            "Only payments attributed to the debtor with this number (an unknown number gives an empty list).",
            json!({ "type": "string" }),
        ),
        query(
            "unapplied",
            "Only payments with money not allocated (`true`) or fully allocated (`false`).",
            json!({ "type": "boolean" }),
        ),
        query("from", "Paid on or after this date.", json!({ "type": "string", "format": "date" })),
        query("to", "Paid on or before this date.", json!({ "type": "string", "format": "date" })),
    ];
    payment_filters.extend(page_params());

    json!({
        "/healthz": { "get": op("healthz", "system", "Health check",
            "200 when the database answers, 503 otherwise. Needs no token.",
            vec![], None,
            vec![("200", ok("The server and its database answer.", r("Health"))),
                 ("503", ok("The database does not answer.", r("Health")))], true) },
        "/api/v1/openapi.json": { "get": op("getOpenApi", "system", "This API description",
            "The OpenAPI 3.1 document. Needs no token.", vec![], None,
            vec![("200", ok("The document.", json!({ "type": "object" })))], true) },
        "/api/v1/organisation": { "get": op("getOrganisation", "organisation", "The token's organisation",
            "Every other route works on the data of this organisation only.", vec![], None,
            vec![("200", ok("The organisation.", r("Organisation")))], false) },
        "/api/v1/audit": { "get": op("listAudit", "organisation", "The audit log, newest first",
            "Every change, with who made it, when, and what changed.", page_params(), None,
            vec![("200", ok("One page.", list_of("AuditEntry"))), ("400", err("BadRequest"))], false) },
        "/api/v1/debtors": {
            "get": op("listDebtors", "debtors", "List debtors", "Ordered by creation.", debtor_filters, None,
                vec![("200", ok("One page.", list_of("Debtor"))), ("400", err("BadRequest"))], false),
            "post": op("createDebtor", "debtors", "Create a debtor",
                "201 when created; 200 when the same debtor (all fields equal) exists already; 409 `debtor_exists` when another debtor has this number.",
                vec![idem.clone()], Some(json_body("DebtorCreate")),
                vec![("201", created("Created.", "Debtor")), ("200", ok("Unchanged: it was there already.", r("Debtor"))),
                     ("400", err("BadRequest")), ("409", err("Conflict")), ("422", err("Unprocessable"))], false),
        },
        "/api/v1/debtors/{number}": {
            "get": op("getDebtor", "debtors", "A debtor with its key figures today", "", vec![param("number")], None,
                vec![("200", ok("The debtor, with `figures`.", r("Debtor"))), ("404", err("NotFound"))], false),
            "patch": op("updateDebtor", "debtors", "Change a debtor",
                "The fields given replace the stored ones; `null` clears an optional field; `address` is merged field by field. The pause is changed only through /pause and /resume.",
                vec![param("number")], Some(json_body("DebtorPatch")),
                vec![("200", ok("The changed debtor.", r("Debtor"))), ("400", err("BadRequest")), ("404", err("NotFound")),
                     ("409", err("Conflict")), ("422", err("Unprocessable"))], false),
        },
        "/api/v1/debtors/{number}/pause": { "post": op("pauseDebtor", "debtors", "Pause dunning of a debtor",
            "Until `until` (inclusive), or until resumed when `until` is absent.",
            vec![param("number"), idem.clone()], Some(json_body("PauseRequest")),
            vec![("200", ok("The debtor.", r("Debtor"))), ("400", err("BadRequest")), ("404", err("NotFound")), ("422", err("Unprocessable"))], false) },
        "/api/v1/debtors/{number}/resume": { "post": op("resumeDebtor", "debtors", "Resume dunning of a debtor",
            "No body needed.", vec![param("number"), idem.clone()], None,
            vec![("200", ok("The debtor.", r("Debtor"))), ("404", err("NotFound"))], false) },
        "/api/v1/invoices": {
            "get": op("listInvoices", "invoices", "List invoices", "Invoices only; credit notes are at /credit-notes.",
                invoice_filters, None,
                vec![("200", ok("One page.", list_of("Invoice"))), ("400", err("BadRequest"))], false),
            "post": op("createInvoice", "invoices", "Create an invoice",
                "The amount must be positive (a negative amount is refused with 422: credit notes go to /credit-notes). Without a `payment_reference` one is generated in the organisation's scheme. 201 when created; 200 when the same invoice exists already; 409 `invoice_exists` when another one has this number.",
                vec![idem.clone()], Some(json_body("InvoiceCreate")),
                vec![("201", created("Created.", "Invoice")), ("200", ok("Unchanged.", r("Invoice"))), ("400", err("BadRequest")),
                     ("409", err("Conflict")), ("422", err("Unprocessable"))], false),
        },
        "/api/v1/invoices/{number}": {
            "get": op("getInvoice", "invoices", "An invoice with its allocations", "", vec![param("number")], None,
                vec![("200", ok("The invoice.", r("Invoice"))), ("404", err("NotFound"))], false),
            "patch": op("updateInvoice", "invoices", "Change an invoice's due date, description or external id",
                "Amounts and the debtor cannot be changed here: they are what the debtor was told.",
                vec![param("number")], Some(json_body("InvoicePatch")),
                vec![("200", ok("The invoice.", r("Invoice"))), ("400", err("BadRequest")), ("404", err("NotFound")), ("422", err("Unprocessable"))], false),
        },
        "/api/v1/invoices/{number}/pdf": {
            "get": op("getInvoicePdf", "invoices", "The invoice's PDF", "", vec![param("number")], None,
                vec![("200", json!({ "description": "The PDF.", "content": { "application/pdf": { "schema": { "type": "string", "contentMediaType": "application/pdf" } } } })),
                     ("404", err("NotFound"))], false),
            "put": op("putInvoicePdf", "invoices", "Store or replace the invoice's PDF",
                "The body is the PDF itself (at most 20 MiB).", vec![param("number")],
                Some(json!({ "required": true, "content": { "application/pdf": { "schema": { "type": "string", "contentMediaType": "application/pdf" } } } })),
                vec![("200", ok("The invoice, with `pdf_url`.", r("Invoice"))), ("404", err("NotFound")), ("413", err("TooLarge")),
                     ("415", err("UnsupportedMediaType")), ("422", err("Unprocessable"))], false),
        },
        "/api/v1/credit-notes": {
            "get": op("listCreditNotes", "credit notes", "List credit notes", "", credit_filters, None,
                vec![("200", ok("One page.", list_of("CreditNote"))), ("400", err("BadRequest"))], false),
            "post": op("createCreditNote", "credit notes", "Create a credit note",
                "**Sign rule:** in this API a credit note's `amount` (and `amount_excl_vat`) is given and shown as a positive number; the ledger stores it negative, and the ageing report counts it negative. A credit note that names the invoice it credits (`credits_invoice`) is allocated to it at once, up to what is open.",
                vec![idem.clone()], Some(json_body("CreditNoteCreate")),
                vec![("201", created("Created.", "CreditNote")), ("200", ok("Unchanged.", r("CreditNote"))), ("400", err("BadRequest")),
                     ("409", err("Conflict")), ("422", err("Unprocessable"))], false),
        },
        "/api/v1/credit-notes/{number}": { "get": op("getCreditNote", "credit notes", "A credit note with its allocations", "",
            vec![param("number")], None,
            vec![("200", ok("The credit note.", r("CreditNote"))), ("404", err("NotFound"))], false) },
        "/api/v1/payments": {
            "get": op("listPayments", "payments", "List payments", "", payment_filters, None,
                vec![("200", ok("One page.", list_of("Payment"))), ("400", err("BadRequest"))], false),
            "post": op("createPayment", "payments", "Record a payment",
                "Payments are immutable; a reversal is a new negative payment. A payment that names its invoice (`invoice_number`), or whose `reference` is the payment reference of one invoice, is allocated to it up to what is open. Its identity is `external_id`; without one, the Idempotency-Key (as `idempotency-key:KEY`), and without that a fingerprint of date, amount, currency, reference, IBAN, name and invoice number (as `api:HEX`): an identical POST again answers 200 with the first payment instead of recording a second one. To record two identical payments, give each its own `external_id` or Idempotency-Key.",
                vec![idem.clone()], Some(json_body("PaymentCreate")),
                vec![("201", created("Recorded.", "Payment")), ("200", ok("Unchanged: recorded before.", r("Payment"))), ("400", err("BadRequest")),
                     ("409", err("Conflict")), ("422", err("Unprocessable"))], false),
        },
        "/api/v1/payments/{id}": { "get": op("getPayment", "payments", "A payment with its allocations", "",
            vec![param("id")], None,
            vec![("200", ok("The payment.", r("Payment"))), ("404", err("NotFound"))], false) },
        "/api/v1/allocations": {
            "get": op("listAllocations", "allocations", "Allocations of one invoice, payment or credit note",
                "Give exactly one of `invoice`, `payment` or `credit_note`. The list is complete (`next_cursor` is null).",
                vec![
                    query("invoice", "Invoice number.", json!({ "type": "string" })),
                    query("payment", "Payment id.", json!({ "type": "integer" })),
                    query("credit_note", "Credit-note number.", json!({ "type": "string" })),
                ], None,
                vec![("200", ok("The allocations.", list_of("Allocation"))), ("400", err("BadRequest")), ("404", err("NotFound"))], false),
            "post": op("createAllocation", "allocations", "Allocate a payment or credit note to an invoice",
                "Give `payment_id` or `credit_note_number`. Without `amount`, as much as both sides allow. The amount is in the invoice's currency.",
                vec![idem], Some(json_body("AllocationCreate")),
                vec![("201", ok("Allocated.", r("Allocation"))), ("400", err("BadRequest")), ("404", err("NotFound")), ("422", err("Unprocessable"))], false),
        },
        "/api/v1/allocations/{id}": { "delete": op("deleteAllocation", "allocations", "Undo an allocation",
            "The invoice reopens and the money becomes available again. Answers with the allocation that was removed.",
            vec![param("id")], None,
            vec![("200", ok("The removed allocation.", r("Allocation"))), ("404", err("NotFound"))], false) },
        "/api/v1/reports/ageing": { "get": op("ageingReport", "reports", "Ageing of the open items",
            "What was open on `as_of`, by days past the due date. Credit notes count negative.",
            vec![
                query("as_of", "Default: today in the organisation's time zone.", json!({ "type": "string", "format": "date" })),
                query("currency", "Default: the organisation's currency.", json!({ "type": "string" })),
                query("buckets", "Upper bounds in days overdue, strictly increasing.", json!({ "type": "string", "default": "30,60,90,180" })),
                query("debtor", "Only this debtor's items (404 when unknown).", json!({ "type": "string" })),
            ], None,
            vec![("200", ok("The report.", r("AgeingReport"))), ("400", err("BadRequest")), ("404", err("NotFound"))], false) },
        "/api/v1/reports/dso": { "get": op("dsoReport", "reports", "Days sales outstanding",
            "By the countback and the standard method, in the organisation's currency.",
            vec![
                query("as_of", "Default: today in the organisation's time zone.", json!({ "type": "string", "format": "date" })),
                query("period_days", "Period of the standard method.", json!({ "type": "integer", "minimum": 1, "maximum": 1098, "default": 90 })),
            ], None,
            vec![("200", ok("The report.", r("DsoReport"))), ("400", err("BadRequest"))], false) },
        "/api/v1/reports/behaviour": { "get": op("behaviourReport", "reports", "Payment behaviour",
            "Days to pay and days late over the invoices settled in [from, to].",
            vec![
                query("from", "Default: 365 days before `to`.", json!({ "type": "string", "format": "date" })),
                query("to", "Default: today in the organisation's time zone.", json!({ "type": "string", "format": "date" })),
                query("debtor", "Only this debtor's invoices (404 when unknown).", json!({ "type": "string" })),
            ], None,
            vec![("200", ok("The report.", r("BehaviourReport"))), ("400", err("BadRequest")), ("404", err("NotFound"))], false) },
    })
}

fn money(description: &str) -> Value {
    json!({ "type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$", "description": description, "examples": ["121.00"] })
}

fn money_or_null(description: &str) -> Value {
    json!({ "type": ["string", "null"], "pattern": "^-?[0-9]+(\\.[0-9]+)?$", "description": description })
}

fn date(description: &str) -> Value {
    json!({ "type": "string", "format": "date", "description": description })
}

fn date_or_null(description: &str) -> Value {
    json!({ "type": ["string", "null"], "format": "date", "description": description })
}

fn instant() -> Value {
    json!({ "type": "string", "format": "date-time" })
}

fn currency() -> Value {
    json!({ "type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217 code.", "examples": ["EUR"] })
}

fn purpose() -> Value {
    json!({ "type": "string", "enum": ["general", "billing", "reminders", "mobile"], "default": "general" })
}

fn schemas() -> Value {
    let debtor_fields = json!({
        "number": { "type": "string", "maxLength": 255, "description": "The organisation's customer number; unique within it." },
        "name": { "type": "string" },
        "kind": { "type": "string", "enum": ["business", "consumer"], "description": "The law treats them differently." },
        "country": { "type": "string", "pattern": "^[A-Z]{2}$" },
        "language": { "type": "string", "enum": ["nl", "fr", "en", "de"] },
        "emails": { "type": "array", "items": r("Email") },
        "phones": { "type": "array", "items": r("Phone") },
        "address": r("Address"),
        "vat_number": text_or_null("VAT number, compact (NL/BE numbers are checked)."),
        "enterprise_number": text_or_null("Belgian enterprise number."),
        "ibans": { "type": "array", "items": { "type": "string" }, "description": "Electronic form." },
        "segments": { "type": "array", "items": { "type": "string" } },
        "owner": text_or_null("The person responsible for this debtor."),
        "credit_limit": money_or_null("In the organisation's currency."),
    });
    let mut debtor = debtor_fields.clone();
    debtor["currency"] = json!({ "type": "string", "description": "The organisation's currency, of `credit_limit` and `figures`." });
    debtor["pause"] = nullable(r("Pause"));
    debtor["created_at"] = instant();
    debtor["updated_at"] = instant();
    debtor["figures"] =
        json!({ "allOf": [r("Figures")], "description": "Only on GET /debtors/{number}." });
    let mut debtor_create = debtor_fields.clone();
    debtor_create["kind"] = json!({ "type": "string", "enum": ["business", "consumer"] });
    debtor_create["country"] =
        json!({ "type": "string", "description": "Default: the organisation's country." });
    debtor_create["language"] = json!({ "type": "string", "enum": ["nl", "fr", "en", "de"], "description": "Default: the organisation's language." });
    debtor_create["address"] = r("AddressInput");
    let mut debtor_patch = debtor_create.clone();
    debtor_patch["number"] =
        json!({ "type": "string", "description": "A new number renames the debtor." });

    let invoice_common = json!({
        "number": { "type": "string" },
        "debtor_number": { "type": "string" },
        "issue_date": date(""),
        "due_date": date(""),
        "currency": currency(),
        "description": text_or_null(""),
        "external_id": text_or_null("The id in the system the invoice came from."),
    });
    let mut invoice = invoice_common.clone();
    invoice["amount"] = money("Payable, VAT included; positive.");
    invoice["amount_excl_vat"] = money_or_null("");
    invoice["open"] = money("What is still to be paid.");
    invoice["status"] = json!({ "type": "string", "enum": ["open", "settled"] });
    invoice["settled_on"] = date_or_null("The day it became fully paid.");
    invoice["overdue"] =
        json!({ "type": "boolean", "description": "Open and past its due date today." });
    invoice["days_overdue"] = json!({ "type": "integer", "minimum": 0 });
    invoice["payment_reference"] =
        text_or_null("Structured reference (OGM, RF or betalingskenmerk).");
    invoice["pdf_url"] = text_or_null("Where the PDF is, when one was stored.");
    invoice["created_at"] = instant();
    invoice["updated_at"] = instant();
    invoice["allocations"] = json!({ "type": "array", "items": r("Allocation"), "description": "On single-invoice answers." });
    let mut invoice_create = invoice_common.clone();
    invoice_create["issue_date"] = json!({ "type": "string", "format": "date" });
    invoice_create["due_date"] = json!({ "type": "string", "format": "date" });
    invoice_create["amount"] = money("Positive; a negative amount is refused (use /credit-notes).");
    invoice_create["amount_excl_vat"] = money_or_null("");
    invoice_create["currency"] =
        json!({ "type": "string", "description": "Default: the organisation's currency." });
    invoice_create["payment_reference"] = text_or_null("Leave out to have one generated.");

    let mut credit = invoice_common.clone();
    credit["amount"] = money("Positive in this API; stored negative.");
    credit["amount_excl_vat"] = money_or_null("Positive.");
    credit["available"] = money("Credit not yet allocated; positive.");
    credit["status"] = json!({ "type": "string", "enum": ["open", "settled"], "description": "`settled` when all credit is used." });
    credit["settled_on"] = date_or_null("");
    credit["credits_invoice"] = text_or_null("The invoice it credits.");
    credit["created_at"] = instant();
    credit["updated_at"] = instant();
    credit["allocations"] =
        json!({ "type": "array", "items": r("Allocation"), "description": "On single answers." });
    let mut credit_create = invoice_common;
    credit_create["due_date"] =
        json!({ "type": "string", "format": "date", "description": "Default: the issue date." });
    credit_create["amount"] = money("Positive (the sign rule: stored negative).");
    credit_create["amount_excl_vat"] = money_or_null("Positive.");
    credit_create["currency"] =
        json!({ "type": "string", "description": "Default: the organisation's currency." });
    credit_create["credits_invoice"] =
        text_or_null("The invoice it credits; it is allocated to it at once.");

    json!({
        "Error": {
            "type": "object", "required": ["error"],
            "properties": { "error": {
                "type": "object", "required": ["code", "message", "field"],
                "properties": {
                    "code": { "type": "string", "description": "Stable machine code: invoice_not_found, debtor_exists, validation_failed, input_rejected, bad_request, unauthorized, idempotency_key_reused, idempotency_key_in_use, payload_too_large, route_not_found, method_not_allowed, timeout, internal, …" },
                    "message": { "type": "string" },
                    "field": { "type": ["string", "null"], "description": "The input field (or query parameter or header) the error is about." }
                }
            } }
        },
        "Health": { "type": "object", "required": ["status"], "properties": { "status": { "type": "string", "enum": ["ok", "unavailable"] } } },
        "Email": { "type": "object", "required": ["address"], "properties": { "address": { "type": "string", "format": "email" }, "purpose": purpose() } },
        "Phone": { "type": "object", "required": ["number"], "properties": { "number": { "type": "string" }, "purpose": purpose() } },
        "Address": { "type": "object", "properties": {
            "street": text_or_null(""), "postal_code": text_or_null(""), "city": text_or_null(""),
            "country": text_or_null("Two-letter country code.") } },
        "AddressInput": { "type": "object", "additionalProperties": false, "properties": {
            "street": text_or_null(""), "postal_code": text_or_null(""), "city": text_or_null(""),
            "country": text_or_null("Two-letter country code.") } },
        "Pause": { "type": "object", "required": ["reason", "until"], "properties": {
            "reason": { "type": "string" }, "until": date_or_null("Last day of the pause; null: until resumed.") } },
        "PauseRequest": { "type": "object", "required": ["reason"], "additionalProperties": false, "properties": {
            "reason": { "type": "string", "maxLength": 500 }, "until": date_or_null("Last day; leave out to pause until resumed.") } },
        "Figures": { "type": "object", "description": "Key figures today, in `currency`.", "properties": {
            "as_of": date(""), "currency": currency(),
            "open": money("Open items minus unused credit."), "overdue": money(""),
            "open_items": { "type": "integer" }, "overdue_items": { "type": "integer" },
            "unapplied": money("Money received and not allocated."),
            "exposure": money("open minus unapplied; compared with the credit limit."),
            "over_credit_limit": { "type": "boolean" }, "paused": { "type": "boolean" } } },
        "Debtor": { "type": "object", "properties": debtor },
        "DebtorCreate": { "type": "object", "required": ["number", "name", "kind"], "additionalProperties": false, "properties": debtor_create },
        "DebtorPatch": { "type": "object", "additionalProperties": false, "properties": debtor_patch },
        "Invoice": { "type": "object", "properties": invoice },
        "InvoiceCreate": { "type": "object", "required": ["number", "debtor_number", "issue_date", "due_date", "amount"], "additionalProperties": false, "properties": invoice_create },
        "InvoicePatch": { "type": "object", "additionalProperties": false, "properties": {
            "due_date": { "type": "string", "format": "date" }, "description": text_or_null("null clears."), "external_id": text_or_null("null clears.") } },
        "CreditNote": { "type": "object", "properties": credit },
        "CreditNoteCreate": { "type": "object", "required": ["number", "debtor_number", "issue_date", "amount"], "additionalProperties": false, "properties": credit_create },
        "Payment": { "type": "object", "properties": {
            "id": { "type": "integer" }, "date": date(""), "amount": money("Negative for a reversal."), "currency": currency(),
            "unapplied": money("Not yet allocated."), "reference": text_or_null("Payment reference or remittance text as received."),
            "counterparty_iban": text_or_null(""), "counterparty_name": text_or_null(""),
            "invoice_number": text_or_null("The invoice the payer named."),
            "external_id": { "type": "string", "description": "The payment's identity at its source." },
            "source": { "type": "string", "enum": ["csv", "api", "bank", "manual", "portal"] },
            "debtor_number": text_or_null("The debtor it is attributed to."),
            "created_at": instant(),
            "allocations": { "type": "array", "items": r("Allocation"), "description": "On single answers." } } },
        "PaymentCreate": { "type": "object", "required": ["date", "amount"], "additionalProperties": false, "properties": {
            "date": { "type": "string", "format": "date" }, "amount": money("Not zero; negative for a reversal."),
            "currency": { "type": "string", "description": "Default: the organisation's currency." },
            "reference": text_or_null(""), "counterparty_iban": text_or_null(""), "counterparty_name": text_or_null(""),
            "invoice_number": text_or_null("Allocate to this invoice."),
            "external_id": text_or_null("The payment's identity at its source; see the operation's description for the default.") } },
        "Allocation": { "type": "object", "properties": {
            "id": { "type": "integer" }, "invoice_number": { "type": "string" },
            "payment_id": { "type": ["integer", "null"] }, "credit_note_number": text_or_null(""),
            "amount": money(""), "currency": currency(), "effective_date": date("From this day the money counts for the invoice."),
            "created_at": instant(), "created_by": { "type": "string" } } },
        "AllocationCreate": { "type": "object", "required": ["invoice_number"], "additionalProperties": false, "properties": {
            "invoice_number": { "type": "string" }, "payment_id": { "type": "integer" },
            "credit_note_number": { "type": "string" }, "amount": money("Default: as much as both sides allow.") } },
        "AgeingReport": { "type": "object", "properties": {
            "as_of": date(""), "currency": currency(), "total": money("Everything open: invoices minus unused credit notes."),
            "buckets": { "type": "array", "items": { "type": "object", "properties": {
                "label": { "type": "string", "examples": ["not_due", "1-30", "180+"] }, "amount": money(""), "count": { "type": "integer" } } } },
            "overdue": money(""), "unapplied": money("Received and not allocated on as_of (not in total)."),
            "net": money("total minus unapplied.") } },
        "DsoReport": { "type": "object", "properties": {
            "as_of": date(""), "currency": currency(),
            "countback_days": { "type": ["string", "null"], "description": "One decimal; null without sales in the lookback." },
            "standard_days": { "type": ["string", "null"], "description": "One decimal; null without sales in the period." },
            "period_days": { "type": "integer" }, "receivables": money(""), "capped": { "type": "boolean" } } },
        "BehaviourReport": { "type": "object", "properties": {
            "from": date(""), "to": date(""), "currency": currency(), "count": { "type": "integer" },
            "paid_late_count": { "type": "integer" },
            "average_days_to_pay": { "type": ["string", "null"] }, "average_days_late": { "type": ["string", "null"] },
            "weighted_average_days_late": { "type": ["string", "null"] } } },
        "Organisation": { "type": "object", "properties": {
            "slug": { "type": "string" }, "name": { "type": "string" }, "country": { "type": "string", "enum": ["NL", "BE"] },
            "time_zone": { "type": "string" }, "language": { "type": "string" }, "currency": currency(),
            "iban": text_or_null(""), "bic": text_or_null(""), "enterprise_number": text_or_null(""),
            "kvk_number": text_or_null(""), "vat_number": text_or_null(""),
            "reference_scheme": { "type": "string", "enum": ["ogm", "rf", "nl"] }, "created_at": instant() } },
        "AuditEntry": { "type": "object", "properties": {
            "id": { "type": "integer" }, "at": instant(), "actor": { "type": "string" },
            "action": { "type": "string", "examples": ["debtor.update"] }, "entity": { "type": "string" },
            "entity_key": { "type": "string" }, "details": { "type": "object" } } },
    })
}

fn error_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": r("Error") } } })
}

/// The OpenAPI 3.1 document served at `/api/v1/openapi.json`.
pub fn openapi() -> Value {
    let mut doc = document();
    if let (Some(paths), Value::Object(more)) = (doc["paths"].as_object_mut(), dunning_paths()) {
        paths.extend(more);
    }
    if let (Some(paths), Value::Object(more)) = (doc["paths"].as_object_mut(), inbound_paths()) {
        paths.extend(more);
    }
    if let (Some(schemas), Value::Object(more)) =
        (doc["components"]["schemas"].as_object_mut(), inbound_schemas())
    {
        schemas.extend(more);
    }
    if let Some(tags) = doc["tags"].as_array_mut() {
        tags.push(json!({ "name": "inbound" }));
    }
    if let (Some(schemas), Value::Object(more)) =
        (doc["components"]["schemas"].as_object_mut(), dunning_schemas())
    {
        schemas.extend(more);
    }
    if let Some(tags) = doc["tags"].as_array_mut() {
        tags.push(json!({ "name": "dunning" }));
    }
    if let (Some(paths), Value::Object(more)) = (doc["paths"].as_object_mut(), plan_paths()) {
        paths.extend(more);
    }
    if let (Some(schemas), Value::Object(more)) =
        (doc["components"]["schemas"].as_object_mut(), plan_schemas())
    {
        schemas.extend(more);
    }
    if let Some(tags) = doc["tags"].as_array_mut() {
        tags.push(json!({ "name": "plans" }));
    }
    doc
}

/// Payment plans: a debtor's plans, a plan proposed by staff, one plan, a decision on it.
fn plan_paths() -> Value {
    let idem = param("IdempotencyKey");
    json!({
        "/api/v1/debtors/{number}/plans": {
            "get": op("debtorPlans", "plans", "A debtor's payment plans",
                "Every plan of the debtor, newest first, each with its schedule, what was paid towards it and where it stands today. One page (`next_cursor` is null).",
                vec![param("number")], None,
                vec![("200", ok("The plans.", list_of("PaymentPlan"))), ("404", err("NotFound"))], false),
            "post": op("proposePlan", "plans", "Propose a payment plan for a debtor",
                "The plan covers every open invoice of the debtor in the organisation's currency, for what is open on them now, split into `count` instalments from `first_due` on (amounts differ by at most one cent, the first ones the larger; monthly ones keep the day of the month). Each instalment gets its own structured payment reference. Judged against the organisation's plan rules: within every limit it starts at once (`state` `active`, `decision` `auto_accept`) and its invoices are held from dunning; otherwise it is `proposed` and the debtor's owner gets a task naming the limits it passes (`decision.needs_person`, `task_id`) — decide with `/plans/{id}/accept` or `/reject`. 409 `payment_plan_exists` when the debtor has a proposed or active plan; 422 `validation_failed` (field `plan`) with every hard problem: a first due date before today, no open invoices, no or too many instalments.",
                vec![param("number"), idem.clone()], Some(json_body("PlanProposal")),
                vec![("201", created("The plan, active or waiting for a person.", "ProposedPlan")), ("400", err("BadRequest")), ("404", err("NotFound")), ("409", err("Conflict")), ("422", err("Unprocessable"))], false),
        },
        "/api/v1/plans/{id}": { "get": op("getPlan", "plans", "One payment plan",
            "With its schedule and references, its invoices with what is open on them, what was paid towards it and its status today. Another organisation's plan is 404 `payment_plan_not_found`.",
            vec![param("id")], None,
            vec![("200", ok("The plan.", r("PaymentPlan"))), ("404", err("NotFound"))], false) },
        "/api/v1/plans/{id}/accept": { "post": op("acceptPlan", "plans", "Accept a proposed payment plan",
            "The plan becomes `active` and holds its invoices from dunning; the review task is closed. Only a proposed plan can be accepted (422 `validation_failed`, field `plan`, otherwise).",
            vec![param("id"), idem.clone()], None,
            vec![("200", ok("The plan.", r("PaymentPlan"))), ("404", err("NotFound")), ("422", err("Unprocessable"))], false) },
        "/api/v1/plans/{id}/reject": { "post": op("rejectPlan", "plans", "Reject a proposed payment plan",
            "The plan ends `rejected` and dunning goes on as it was; the review task is closed. Only a proposed plan can be rejected (422 `validation_failed`, field `plan`, otherwise).",
            vec![param("id"), idem], None,
            vec![("200", ok("The plan.", r("PaymentPlan"))), ("404", err("NotFound")), ("422", err("Unprocessable"))], false) },
    })
}

fn plan_schemas() -> Value {
    let amount = |description: &str| {
        json!({ "type": "object", "required": ["amount", "currency"], "description": description,
            "properties": { "amount": money("Decimal."), "currency": currency() } })
    };
    let micros = |description: &str| json!({ "type": "integer", "description": description });
    json!({
        "PlanProposal": { "type": "object", "required": ["first_due", "count"], "additionalProperties": false, "properties": {
            "first_due": date("The due date of the first instalment: today or later."),
            "count": { "type": "integer", "minimum": 0, "description": "How many instalments." },
            "interval": { "type": "string", "enum": ["monthly", "weekly"], "default": "monthly" },
            "start": { "type": "boolean", "default": false, "description": "Start the plan at once even beyond the organisation's limits (no review task; `decided_by` is the token's actor). Hard problems are still refused." } } },
        "PlanStatus": { "type": "object", "required": ["status"],
            "description": "Where the schedule stands on `today`: `completed`; `on_track` (`next`, `due`, `remaining_of_next`); `reminder_due` (`index`, `due`, `remaining`); `missed` (`index`, `due`, `remaining`, `breaks_on`: the plan breaks that day unless paid); `broken` (`index`, `due`, `remaining_total`). Indexes are 0-based.",
            "properties": {
                "status": { "type": "string", "enum": ["completed", "on_track", "reminder_due", "missed", "broken"] },
                "next": { "type": "integer" }, "index": { "type": "integer" }, "due": date("The instalment's due date."),
                "remaining_of_next": amount("Unpaid of the next instalment."), "remaining": amount("Unpaid of the instalment."),
                "remaining_total": amount("Unpaid of the whole plan."), "breaks_on": date("The day the plan breaks unless paid.") } },
        "PaymentPlan": { "type": "object",
            "required": ["id", "debtor_number", "state", "total", "interval", "instalments", "invoices", "open", "paid", "status", "explanation", "today", "created_at", "created_by"],
            "properties": {
                "id": { "type": "integer" }, "debtor_id": { "type": "integer" }, "debtor_number": { "type": "string" },
                "state": { "type": "string", "enum": ["proposed", "active", "completed", "broken", "rejected", "cancelled"] },
                "total": amount("What the plan pays: what was open on its invoices when it was proposed."),
                "interval": { "type": "string", "enum": ["monthly", "weekly"] },
                "instalments": { "type": "array", "items": { "type": "object", "required": ["position", "due", "amount", "reference", "reference_display"], "properties": {
                    "position": { "type": "integer", "description": "0-based, in due-date order." }, "due": date("Pay by this day."), "amount": amount("The instalment."),
                    "reference": { "type": "string", "description": "The structured payment reference, normalized (`RF18539007547034`)." },
                    "reference_display": { "type": "string", "description": "As people type it (`RF18 5390 0754 7034`, `+++090/9337/55493+++`)." } } } },
                "invoices": { "type": "array", "items": { "type": "object", "properties": {
                    "invoice_id": { "type": "integer" }, "number": { "type": "string" }, "open": amount("Open on the invoice now.") } } },
                "open": amount("Open now on the plan's invoices."), "paid": amount("The total minus what is open now, never below zero."),
                "status": r("PlanStatus"), "explanation": { "type": "string", "description": "`status` in one English sentence." },
                "today": date("The day `status` is judged on."),
                "created_at": micros("Microseconds since the Unix epoch."), "created_by": { "type": "string", "description": "`portal` or who proposed it." },
                "response_id": { "type": ["integer", "null"], "description": "The portal answer that proposed it." },
                "decided_at": { "type": ["integer", "null"], "description": "Microseconds since the Unix epoch." },
                "decided_by": text_or_null("Who accepted or rejected it, or `automatic`."),
                "ended_on": date_or_null("The day it was completed, broken, rejected or cancelled.") } },
        "ProposedPlan": { "type": "object", "required": ["plan", "decision", "explanation"], "properties": {
            "plan": r("PaymentPlan"),
            "decision": { "description": "`\"auto_accept\"`, or `{\"needs_person\": [reasons]}` with one English sentence per limit passed.",
                "oneOf": [{ "type": "string", "enum": ["auto_accept"] },
                          { "type": "object", "required": ["needs_person"], "properties": { "needs_person": { "type": "array", "items": { "type": "string" } } } }] },
            "explanation": { "type": "string", "description": "The schedule in brief and the decision." },
            "task_id": { "type": ["integer", "null"], "description": "The review task of the debtor's owner when a person must decide." } } },
    })
}

/// Dunning: runs, policies and their assignments, outbox, tasks, charges, timelines.
fn dunning_paths() -> Value {
    let idem = param("IdempotencyKey");
    let policy_id = json!({ "name": "id", "in": "path", "required": true,
        "description": "The policy id: `nl-business` or an organisation's own (a-z, 0-9, '-').",
        "schema": { "type": "string", "pattern": "^[a-z0-9-]{1,64}$" } });
    let as_of = query(
        "as_of",
        "Default: today in the organisation's time zone.",
        json!({ "type": "string", "format": "date" }),
    );
    json!({
        "/api/v1/invoices/{number}/charges": { "get": op("invoiceCharges", "dunning", "What may lawfully be claimed on an invoice",
            "Interest accrued up to `as_of`, collection costs or the flat compensation under the rule that applies (withheld, with the reason, while a precondition such as the consumer's 14-day letter is unmet), and fees already charged; each with its legal basis and arithmetic.",
            vec![param("number"), as_of.clone()], None,
            vec![("200", ok("The charges.", r("ChargesReport"))), ("400", err("BadRequest")), ("404", err("NotFound")), ("422", err("Unprocessable"))], false) },
        "/api/v1/invoices/{number}/policy": {
            "get": op("getInvoicePolicy", "dunning", "The policy override of an invoice",
                "`policy` is `null` when the debtor's policy applies.",
                vec![param("number")], None,
                vec![("200", ok("The override.", r("InvoicePolicy"))), ("404", err("NotFound"))], false),
            "put": op("putInvoicePolicy", "dunning", "Set or lift the policy override of an invoice",
                "From the next run on the invoice follows this policy instead of its debtor's, and is dunned on its own. `null` lifts the override. Audited with the previous value.",
                vec![param("number")], Some(json_body("InvoicePolicy")),
                vec![("200", ok("The override in force.", r("InvoicePolicy"))), ("400", err("BadRequest")), ("404", err("NotFound")), ("422", err("Unprocessable"))], false),
        },
        "/api/v1/debtors/{number}/timeline": { "get": op("debtorTimeline", "dunning", "A debtor's timeline",
            "Every dunning action, message (exactly as rendered), charge, task, payment, allocation (money or credit applied to an invoice) and change (notes included), newest first.",
            vec![param("number")], None,
            vec![("200", ok("The timeline.", r("Timeline"))), ("404", err("NotFound"))], false) },
        "/api/v1/dunning/preview": { "get": op("dunningPreview", "dunning", "What a run on a date would do",
            "Nothing is changed.", vec![as_of], None,
            vec![("200", ok("The plan.", r("RunReport"))), ("400", err("BadRequest"))], false) },
        "/api/v1/dunning/runs": { "post": op("dunningRun", "dunning", "Run dunning for a date",
            "Plans, then stores each action with its charges, messages and tasks exactly once. A second run of the same date does nothing (`already_ran`); an interrupted run is finished (`resumed`). `dry_run` only plans. E-mail is sent by the server's delivery loop.",
            vec![idem.clone()], Some(json_body("RunRequest")),
            vec![("200", ok("The run.", r("RunReport"))), ("400", err("BadRequest")), ("422", err("Unprocessable"))], false) },
        "/api/v1/dunning/policies": { "get": op("dunningPolicies", "dunning", "The policies in force",
            "Stored versions, else the shipped defaults.", vec![], None,
            vec![("200", ok("All policies.", list_of("Policy")))], false) },
        "/api/v1/dunning/policies/{id}": {
            "get": op("getDunningPolicy", "dunning", "One policy in force",
                "The organisation's latest version of the policy, else the shipped default (`nl-business`, `nl-consumer`, `be-business`, `be-consumer`).",
                vec![policy_id.clone()], None,
                vec![("200", ok("The policy with its version.", r("Policy"))), ("404", err("NotFound"))], false),
            "put": op("putDunningPolicy", "dunning", "Store a new version of a policy",
                "The body is a whole policy as `GET` gives it, with the `id` of the path (an unknown id makes an organisation's own policy). It is checked — steps, keys, triggers in order, channels, amounts in the organisation's currency, limits — and stored as the next version (an edit of a shipped default becomes version 2), in force from the next run; actions keep the version that made them. Rules equal to those in force store nothing and answer the version in force. An edit of an older version than the one in force is refused (409 `policy_version_exists`): read the policy again and make the change there. A field a policy does not have is 400.",
                vec![policy_id], Some(json_body("Policy")),
                vec![("200", ok("The policy in force, with its (new) version.", r("Policy"))), ("400", err("BadRequest")), ("409", err("Conflict")), ("422", err("Unprocessable"))], false),
        },
        "/api/v1/dunning/assignments": {
            "get": op("getDunningAssignments", "dunning", "Which policy applies to whom",
                "The most specific rule wins: debtor, then segment, then country and kind, then kind, then the default of the kind in the organisation's country. Empty maps when none were stored.",
                vec![], None, vec![("200", ok("The assignments.", r("Assignments")))], false),
            "put": op("putDunningAssignments", "dunning", "Replace the assignments",
                "Every rule must name a policy of the organisation or a shipped one, and its key must be able to match: a debtor of the organisation, `business` or `consumer`, a country code in capitals and a kind (`BE/consumer`). A map left out is empty. 422 `validation_failed` names the rule (`by_debtor.D1`). Every change is in the audit log, rule by rule.",
                vec![], Some(json_body("Assignments")),
                vec![("200", ok("The assignments in force.", r("Assignments"))), ("400", err("BadRequest")), ("422", err("Unprocessable"))], false),
        },
        "/api/v1/outbox": { "get": op("listOutbox", "dunning", "Messages, newest first",
            "Each with recipient, subject, both bodies and the names of its attachments.",
            vec![query("status", "planned, sending, sent, uncertain, failed or held.", json!({ "type": "string", "enum": ["planned", "sending", "sent", "uncertain", "failed", "held"] })), param("limit"), param("cursor")], None,
            vec![("200", ok("One page.", list_of("Message"))), ("400", err("BadRequest"))], false) },
        "/api/v1/outbox/{id}/attachment": { "get": op("getOutboxAttachment", "dunning", "One attachment of a message",
            "The file itself, as its own content type: the PDF letter of a message (a letter queued for print is `held` with channel `letter`), or the collection dossier of a hand-over (channel `handover`, `application/json`, kind `arflow.collection_dossier`).",
            vec![param("id"), query("index", "Position of the attachment, from 0 (default 0).", json!({ "type": "integer", "minimum": 0 }))], None,
            vec![("200", json!({ "description": "The file.", "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } })),
                 ("400", err("BadRequest")), ("404", err("NotFound"))], false) },
        "/api/v1/tasks": { "get": op("listTasks", "dunning", "Tasks for people",
            "Open ones unless `all=true`.",
            vec![query("all", "`true`: done ones too.", json!({ "type": "string", "enum": ["true"] })), query("owner", "Only this owner's.", json!({ "type": "string" })), param("limit"), param("cursor")], None,
            vec![("200", ok("One page.", list_of("Task"))), ("400", err("BadRequest"))], false) },
        "/api/v1/templates": { "get": op("listTemplates", "dunning", "Message templates",
            "Every dunning step in nl, fr, en and de: the text in force, `edited` when it is the organisation's own.", vec![], None,
            vec![("200", ok("All templates.", list_of("Template")))], false) },
        "/api/v1/templates/{id}": {
            "get": op("getTemplate", "dunning", "One template", "`id` is `STEP.LANGUAGE`, like `reminder.fr`.",
                vec![param("id")], None, vec![("200", ok("The template.", r("Template"))), ("404", err("NotFound"))], false),
            "put": op("putTemplate", "dunning", "Replace a template's text",
                "Checked before it is saved: it compiles (a sandboxed Jinja dialect), renders with sample data for a business and a consumer, and keeps what the law requires in the Dutch 14-day letter and the Belgian first reminder (422 `validation_failed`, field `template`, with the line and reason otherwise).",
                vec![param("id"), idem.clone()], Some(json_body("TemplateEdit")),
                vec![("200", ok("Saved.", r("Template"))), ("400", err("BadRequest")), ("404", err("NotFound")), ("422", err("Unprocessable"))], false),
            "delete": op("resetTemplate", "dunning", "Back to the built-in text", "",
                vec![param("id")], None, vec![("204", json!({ "description": "Reset." })), ("404", err("NotFound"))], false),
        },
        "/api/v1/templates/{id}/preview": { "get": op("previewTemplate", "dunning", "A template rendered with sample data",
            "In the template's language, for a business (default) or consumer debtor.",
            vec![param("id"), query("debtor_kind", "business or consumer.", json!({ "type": "string", "enum": ["business", "consumer"] }))], None,
            vec![("200", ok("Subject, text and HTML.", json!({ "type": "object", "properties": { "subject": { "type": "string" }, "text": { "type": "string" }, "html": { "type": "string" } } }))),
                 ("400", err("BadRequest")), ("404", err("NotFound")), ("422", err("Unprocessable"))], false) },
        "/api/v1/tasks/{id}/done": { "post": op("completeTask", "dunning", "Complete a task with its outcome",
            "`promised` needs `promised_on` and holds the items until then; `disputed` holds them until resolved.",
            vec![param("id"), idem], Some(json_body("TaskDone")),
            vec![("200", ok("Done.", json!({ "type": "object" }))), ("400", err("BadRequest")), ("404", err("NotFound")), ("422", err("Unprocessable"))], false) },
    })
}

fn dunning_schemas() -> Value {
    let charge = json!({ "type": "object", "required": ["kind", "amount", "currency", "explanation"], "properties": {
        "invoice": { "type": "string" },
        "kind": { "type": "string", "enum": ["interest", "collection_costs", "fee"] },
        "amount": money("The amount claimed."), "currency": currency(),
        "explanation": { "type": "object", "required": ["rule", "article", "text"], "properties": {
            "rule": { "type": "string" }, "article": { "type": "string" }, "text": { "type": "string" },
            "inputs": { "type": "array" }, "periods": { "type": "array" }, "arithmetic": { "type": "array", "items": { "type": "string" } },
            "verified": { "type": "boolean" } } } } });
    json!({
        "Charge": charge,
        "ChargesReport": { "type": "object", "required": ["invoice", "principal", "charges", "total_due"], "properties": {
            "invoice": { "type": "string" }, "debtor": { "type": "string" }, "as_of": date("The date."), "currency": currency(),
            "principal": money("Invoice amount incl. VAT."), "principal_open": money("Open after payments (art. 6:44 BW order in NL)."),
            "charges": { "type": "array", "items": r("Charge") },
            "withheld": { "type": "array", "items": { "type": "object", "properties": { "rule": { "type": "string" }, "reason": { "type": "string" } } } },
            "total_due": money("principal_open plus every charge.") } },
        "RunRequest": { "type": "object", "additionalProperties": false, "properties": {
            "as_of": date("Default: today."), "dry_run": { "type": "boolean", "default": false } } },
        "RunReport": { "type": "object", "required": ["as_of", "actions", "refused", "skipped"], "properties": {
            "as_of": date("The run date."), "dry_run": { "type": "boolean" }, "already_ran": { "type": "boolean" }, "resumed": { "type": "boolean" },
            "actions": { "type": "array", "items": { "type": "object", "properties": {
                "debtor": { "type": "string" }, "step": { "type": "string" }, "policy": { "type": "string" }, "policy_version": { "type": "integer" },
                "channels": { "type": "array", "items": { "type": "string" } }, "invoices": { "type": "array", "items": { "type": "string" } },
                "charges": { "type": "array", "items": r("Charge") }, "messages": { "type": "array" }, "problems": { "type": "array", "items": { "type": "string" } },
                "action_id": { "type": "integer" } } } },
            "refused": { "type": "array", "items": { "type": "object", "properties": { "debtor": { "type": "string" }, "step": { "type": "string" }, "reason": { "type": "string" } } } },
            "skipped": { "type": "array", "items": { "type": "object", "properties": { "debtor": { "type": "string" }, "reason": { "type": "string" } } } },
            "plans": { "type": "object", "description": "The look at the active payment plans that opens every run (absent in a preview): plans completed and broken on the date, instalments due soon or missed, and the instalment e-mails (each written once).",
                "properties": { "as_of": date("The run date."), "followed": { "type": "integer" },
                "completed": { "type": "array" }, "broken": { "type": "array" }, "reminders_due": { "type": "array" }, "missed": { "type": "array" },
                "reminders": { "type": "array", "items": { "type": "object", "properties": {
                    "plan_id": { "type": "integer" }, "debtor_number": { "type": "string" }, "instalment": { "type": "integer", "description": "1-based." },
                    "kind": { "type": "string", "enum": ["before_due", "missed"] }, "message_id": { "type": ["integer", "null"], "description": "The outbox message." },
                    "not_sent": { "type": ["string", "null"], "description": "Why there is no message: no e-mail address, dunning paused." } } } } } } } },
        "Policy": { "type": "object", "description": "A versioned dunning policy: ordered steps with trigger, channels, charges, minimum and approval.",
            "required": ["id", "version", "name", "steps", "min_gap_days", "one_message_per_debtor"], "properties": {
            "id": { "type": "string", "pattern": "^[a-z0-9-]{1,64}$" },
            "version": { "type": "integer", "minimum": 0, "description": "The version in force; in an edit, the version it was made on (a new version number is given when it is stored)." },
            "name": { "type": "string", "minLength": 1, "maxLength": 200 },
            "steps": { "type": "array", "minItems": 1, "maxItems": 20, "items": r("PolicyStep") },
            "min_gap_days": { "type": "integer", "minimum": 0, "maximum": 730, "description": "Days that must pass between two contacts with one debtor." },
            "one_message_per_debtor": { "type": "boolean", "description": "One message lists all of a debtor's items at a step (else one message per item)." } } },
        "PolicyStep": { "type": "object", "required": ["key", "template", "trigger", "channels", "charges", "min_open", "approval"], "properties": {
            "key": { "type": "string", "pattern": "^[a-z0-9_-]{1,64}$", "description": "Unique within the policy." },
            "template": { "type": "string", "enum": ["courtesy", "reminder", "second_reminder", "demand", "notice_of_default", "be_consumer_first_reminder", "pre_legal", "handover"] },
            "trigger": { "oneOf": [
                { "type": "object", "required": ["after", "days"], "properties": { "after": { "const": "due_date" }, "days": { "type": "integer", "minimum": -730, "maximum": 730, "description": "Days after the due date (negative: before it). Never fewer than an earlier due-date step." } } },
                { "type": "object", "required": ["after", "days"], "properties": { "after": { "const": "previous_step" }, "days": { "type": "integer", "minimum": 0, "maximum": 730, "description": "Days after the item's previous step (not for the first step)." } } } ] },
            "channels": { "type": "array", "minItems": 1, "uniqueItems": true, "items": { "type": "string", "enum": ["email", "letter_attached", "letter_post", "sms", "phone", "handover"] } },
            "charges": { "type": "array", "items": { "oneOf": [
                { "type": "object", "required": ["kind"], "properties": { "kind": { "enum": ["collection_costs", "interest"] } } },
                { "type": "object", "required": ["kind", "amount"], "properties": { "kind": { "const": "fee" }, "amount": r("PolicyAmount") } } ] } },
            "min_open": r("PolicyAmount"),
            "approval": { "type": "boolean", "description": "A person approves the action before anything goes out." } } },
        "PolicyAmount": { "type": "object", "required": ["amount", "currency"], "properties": {
            "amount": money("Zero or more (a fee: more than zero)."), "currency": currency() } },
        "InvoicePolicy": { "type": "object", "properties": {
            "invoice": { "type": "string", "readOnly": true },
            "policy": { "type": ["string", "null"], "description": "A policy id of the organisation or a shipped one; null: the debtor's policy." } } },
        "Assignments": { "type": "object", "additionalProperties": false, "properties": {
            "by_debtor": { "type": "object", "additionalProperties": { "type": "string" }, "description": "Debtor number → policy id." },
            "by_segment": { "type": "object", "additionalProperties": { "type": "string" }, "description": "Segment → policy id (the debtor's first segment with a rule wins)." },
            "by_country_kind": { "type": "object", "additionalProperties": { "type": "string" }, "description": "`BE/consumer` (the debtor's country and kind) → policy id." },
            "by_kind": { "type": "object", "additionalProperties": { "type": "string" }, "description": "`business` or `consumer` → policy id." } } },
        "Message": { "type": "object", "required": ["id", "channel", "recipient", "subject", "text_body", "html_body", "status"], "properties": {
            "id": { "type": "integer" }, "action_id": { "type": "integer" }, "channel": { "type": "string", "enum": ["email", "letter", "sms"] },
            "recipient": { "type": "string" }, "subject": { "type": "string" }, "text_body": { "type": "string" }, "html_body": { "type": "string" },
            "language": { "type": "string" }, "message_id": { "type": "string" }, "debtor_number": { "type": "string" },
            "status": { "type": "string", "enum": ["planned", "sending", "sent", "uncertain", "failed", "held"] },
            "attachments": { "type": "array", "items": { "type": "object", "properties": { "file_name": { "type": "string" }, "content_type": { "type": "string" } } } } } },
        "Task": { "type": "object", "required": ["id", "kind", "title", "status", "due_on"], "properties": {
            "id": { "type": "integer" }, "debtor_number": { "type": "string" }, "action_id": { "type": ["integer", "null"] },
            "kind": { "type": "string" }, "title": { "type": "string" }, "owner": { "type": ["string", "null"] }, "status": { "type": "string" },
            "due_on": date("Due."), "outcome": { "type": ["string", "null"] } } },
        "TaskDone": { "type": "object", "required": ["outcome"], "additionalProperties": false, "properties": {
            "outcome": { "type": "string", "enum": ["reached", "promised", "disputed", "no_answer", "done"] },
            "promised_on": date("With `promised`."), "note": { "type": "string" } } },
        "Template": { "type": "object", "required": ["step", "language", "edited", "subject", "text"], "properties": {
            "step": { "type": "string" }, "language": { "type": "string", "enum": ["nl", "fr", "en", "de"] }, "edited": { "type": "boolean" },
            "subject": { "type": "string" }, "text": { "type": "string" }, "html": { "type": ["string", "null"] } } },
        "TemplateEdit": { "type": "object", "required": ["subject", "text"], "additionalProperties": false, "properties": {
            "subject": { "type": "string" }, "text": { "type": "string" }, "html": { "type": ["string", "null"], "description": "Without it, the HTML is made from the text." } } },
        "Timeline": { "type": "object", "required": ["debtor", "entries"], "properties": {
            "debtor": { "type": "string" },
            "entries": { "type": "array", "items": { "type": "object", "required": ["type", "at"], "properties": {
                "type": { "type": "string", "enum": ["action", "message", "charge", "task", "payment", "allocation", "change"] }, "at": { "type": "integer" } } } } } },
    })
}

fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "arflow REST API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Accounts receivable of one organisation per token.\n\n\
                **Authentication:** `Authorization: Bearer arf_<organisation>_<secret>`. A token sees and changes only its own organisation's data: a number that exists only in another organisation is 404. A revoked token may keep working for up to 30 seconds (tokens are cached).\n\n\
                **Money** is a decimal string with a `currency` field next to it (`\"amount\": \"121.00\", \"currency\": \"EUR\"`); **dates** are `YYYY-MM-DD`, instants RFC 3339.\n\n\
                **Lists** take `limit` (default 50, at most 1000) and `cursor` (the `next_cursor` of the previous page; opaque).\n\n\
                **Errors** are `{\"error\": {\"code\", \"message\", \"field\"}}`: 400 `bad_request` when the request does not fit the schema (bad JSON, wrong type, unknown or missing field, a value outside an enumeration, a bad query parameter); 422 `validation_failed` or `input_rejected` when a value fits the schema but is refused; 404 `*_not_found`; 409 `*_exists`; 401 `unauthorized`.\n\n\
                **Idempotency-Key** (header, on every POST): the same key with the same request (method, path, body) replays the first answer with `Idempotent-Replayed: true`; with a different request it is 422 `idempotency_key_reused`. 5xx answers are not remembered."
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }],
        "tags": [
            { "name": "debtors" }, { "name": "invoices" }, { "name": "credit notes" }, { "name": "payments" },
            { "name": "allocations" }, { "name": "reports" }, { "name": "organisation" }, { "name": "system" }
        ],
        "paths": paths(),
        "components": {
            "securitySchemes": { "bearer": {
                "type": "http", "scheme": "bearer", "bearerFormat": "arf_<organisation id>_<64 hex>",
                "description": "An API token of one organisation (`arflow token create`)."
            } },
            "parameters": {
                "number": { "name": "number", "in": "path", "required": true, "description": "The business number (percent-encoded).", "schema": { "type": "string" } },
                "id": { "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } },
                "name": { "name": "name", "in": "path", "required": true, "description": "1-64 of a-z, 0-9, '.', '_' and '-'.", "schema": { "type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{0,63}$" } },
                "limit": { "name": "limit", "in": "query", "required": false, "description": "Rows per page.", "schema": { "type": "integer", "minimum": 1, "maximum": 1000, "default": 50 } },
                "cursor": { "name": "cursor", "in": "query", "required": false, "description": "The `next_cursor` of the previous page.", "schema": { "type": "string" } },
                "IdempotencyKey": { "name": "Idempotency-Key", "in": "header", "required": false,
                    "description": "1-255 visible ASCII characters; a retry with the same key and request replays the first answer.",
                    "schema": { "type": "string", "maxLength": 255 } }
            },
            "responses": {
                "BadRequest": error_response("The request does not fit the schema (code `bad_request`)."),
                "Unauthorized": error_response("Missing, unknown or revoked token (code `unauthorized`)."),
                "NotFound": error_response("No such record in the token's organisation (code `*_not_found`)."),
                "Conflict": error_response("Another record has this key (code `*_exists`), or a request with this Idempotency-Key is still running (`idempotency_key_in_use`)."),
                "Unprocessable": error_response("A value is refused (`validation_failed`, `input_rejected`, `idempotency_key_reused`)."),
                "TooLarge": error_response("The body is too large (code `payload_too_large`)."),
                "UnsupportedMediaType": error_response("Wrong Content-Type (code `unsupported_media_type`)."),
                "Internal": error_response("Internal error (code `internal`; details are in the server log) or timeout (503 `timeout`)."),
            },
            "schemas": schemas(),
        }
    })
}

fn raw_body(description: &str) -> Value {
    json!({ "required": true, "description": description, "content": {
        "application/octet-stream": { "schema": { "type": "string", "format": "binary" } },
        "application/xml": { "schema": { "type": "string" } },
        "text/plain": { "schema": { "type": "string" } },
        "application/pdf": { "schema": { "type": "string", "format": "binary" } } } })
}

/// Inbound: statements, e-invoices, the reconciliation review queue.
fn inbound_paths() -> Value {
    let file = query(
        "file",
        "The file name, for messages and the audit log.",
        json!({ "type": "string" }),
    );
    json!({
        "/api/v1/statements": { "post": op("importStatement", "inbound", "Import a bank statement",
            "The body is the file: camt.052/053/054, MT940/MT942 or CODA 2, told from its content; a CSV export with the column mapping named in `mapping` (the organisation's own, see `/statement-mappings`, else a built-in one). Every entry is stored once (account + bank reference, or a fingerprint): importing again, or an overlapping statement, creates nothing twice (`already_imported`, `conflicts_with_stored`). Credits are matched to open items (structured reference, invoice numbers, known IBAN, name) and allocated when the confidence reaches `auto_threshold`; the rest waits in `/matches`. A return reverses what it returns. A file with any problem is rejected whole (422 `input_rejected`, every problem with its line or byte offset).",
            vec![file.clone(), query("mapping", "The CSV mapping: a saved or built-in name (404 `mapping_not_found` otherwise).", json!({ "type": "string" })),
                 query("bank", "The older name of `mapping`.", json!({ "type": "string" })),
                 query("tolerance", "A payment this much short still fits (bank costs), e.g. 0.50.", json!({ "type": "string" })),
                 query("auto_threshold", "1-100, default 90.", json!({ "type": "integer", "minimum": 1, "maximum": 100 }))],
            Some(raw_body("The statement file.")),
            vec![("200", ok("What the import did.", r("StatementImport"))), ("400", err("BadRequest")), ("404", err("NotFound")), ("413", err("BadRequest")), ("422", err("Unprocessable"))], false) },
        "/api/v1/statement-mappings": { "get": op("listStatementMappings", "inbound", "CSV statement mappings",
            "The organisation's saved column mappings by name, then the built-in ones (`builtin: true`).", vec![], None,
            vec![("200", ok("All mappings.", list_of("StatementMapping")))], false) },
        "/api/v1/statement-mappings/{name}": {
            "get": op("getStatementMapping", "inbound", "One CSV statement mapping", "The organisation's own by that name, else a built-in one.",
                vec![param("name")], None, vec![("200", ok("The mapping.", r("StatementMapping"))), ("404", err("NotFound"))], false),
            "put": op("putStatementMapping", "inbound", "Save a CSV statement mapping",
                "The body is the mapping (docs/formats.md). It is checked before it is saved: every problem comes back at once (422 `input_rejected`, each as `field: reason`). A built-in name cannot be taken (422 `validation_failed`, field `name`). Saving the same mapping again changes nothing; every change is audited.",
                vec![param("name"), param("IdempotencyKey")], Some(json_body("CsvMapping")),
                vec![("200", ok("Saved.", r("StatementMapping"))), ("400", err("BadRequest")), ("422", err("Unprocessable"))], false),
            "delete": op("deleteStatementMapping", "inbound", "Remove a saved CSV statement mapping", "Built-in mappings cannot be removed.",
                vec![param("name")], None, vec![("204", json!({ "description": "Removed." })), ("404", err("NotFound"))], false),
        },
        "/api/v1/e-invoices": { "post": op("importEInvoice", "inbound", "Import an e-invoice",
            "The body is a UBL 2.1 Invoice or CreditNote (Peppol BIS 3), a UN/CEFACT CII invoice, or a Factur-X/ZUGFeRD PDF. The buyer becomes a debtor (found by VAT or enterprise number, then by name) and the invoice is created; the same invoice again changes nothing, a different one with the same number is a conflict unless `update=true`. The PDF is kept.",
            vec![file, query("update", "`true`: overwrite a stored invoice that differs.", json!({ "type": "string", "enum": ["true"] }))],
            Some(raw_body("The e-invoice.")),
            vec![("200", ok("What the import did.", r("InvoiceImport"))), ("400", err("BadRequest")), ("409", err("Conflict")), ("422", err("Unprocessable"))], false) },
        "/api/v1/matches": { "get": op("listMatches", "inbound", "Bank entries waiting for a person",
            "Entries whose best suggestion was below the threshold (and with `all=true` money nothing pointed to), each with its suggestions, confidence and explanation.",
            vec![query("all", "`true`: unmatched money too.", json!({ "type": "string", "enum": ["true"] })), param("limit"), param("cursor")], None,
            vec![("200", ok("One page.", list_of("ReviewItem"))), ("400", err("BadRequest"))], false) },
        "/api/v1/matches/{id}/accept": { "post": op("acceptMatch", "inbound", "Accept a suggestion or allocate by hand",
            "`choice` (1 = best, the default) takes a suggestion; `split` allocates to the named invoices. The payer's IBAN is learned for the debtor. Taken once: a second decision is 422.",
            vec![param("id")], Some(json_body("AcceptMatch")),
            vec![("200", ok("The entry.", r("BankEntry"))), ("400", err("BadRequest")), ("404", err("NotFound")), ("422", err("Unprocessable"))], false) },
        "/api/v1/matches/{id}/reject": { "post": op("rejectMatch", "inbound", "Reject the suggestions",
            "The money stays unapplied on its payment.", vec![param("id")], None,
            vec![("200", ok("The entry.", r("BankEntry"))), ("404", err("NotFound")), ("422", err("Unprocessable"))], false) },
    })
}

fn inbound_schemas() -> Value {
    let count = json!({ "type": "integer", "minimum": 0 });
    let column = json!({ "type": ["string", "integer"], "description": "A header name or a 1-based position." });
    json!({
        "StatementImport": { "type": "object", "required": ["entries", "created", "already_imported", "matched_automatically", "to_review", "unmatched"], "properties": {
            "file": { "type": "string" }, "format": { "type": "string", "enum": ["camt053", "mt940", "coda", "csv"] }, "message": { "type": "string" },
            "statements": count.clone(), "entries": count.clone(), "created": count.clone(), "already_imported": count.clone(),
            "conflicts_with_stored": count.clone(), "matched_automatically": count.clone(), "to_review": count.clone(), "unmatched": count.clone(),
            "ignored": count.clone(), "reversals": count.clone(), "allocated_items": count,
            "balance_mismatches": { "type": "array", "items": { "type": "string" } },
            "outcomes": { "type": "array", "items": { "type": "object" } } } },
        "StatementMapping": { "type": "object", "required": ["name", "builtin", "mapping"], "properties": {
            "name": { "type": "string" }, "builtin": { "type": "boolean" }, "mapping": r("CsvMapping"),
            "updated_at": { "type": "integer", "description": "Microseconds since the Unix epoch; absent for a built-in one." },
            "updated_by": { "type": "string" } } },
        "CsvMapping": { "type": "object", "required": ["name", "date_format", "account", "currency", "booking_date", "amount"],
            "additionalProperties": false,
            "description": "How to read one bank's CSV export; a column is its header name (a string) or its 1-based position (a number). See docs/formats.md.",
            "properties": {
                "name": { "type": "string" }, "delimiter": { "type": ["string", "null"], "maxLength": 1 },
                "has_header": { "type": "boolean", "default": true }, "skip_lines": { "type": "integer", "minimum": 0 },
                "decimal_comma": { "type": "boolean" }, "date_format": { "type": "string", "example": "%d-%m-%Y" },
                "account": { "type": "object", "description": "`{\"column\": C}` or `{\"fixed\": \"NL…\"}`" },
                "currency": { "type": "object", "description": "`{\"column\": C}` or `{\"fixed\": \"EUR\"}`" },
                "booking_date": column.clone(), "value_date": column.clone(),
                "amount": { "type": "object", "description": "`{\"signed\": C}`, `{\"debit_credit\": {\"debit\": C, \"credit\": C}}` or `{\"with_indicator\": {\"amount\": C, \"indicator\": C, \"credit_values\": [..], \"debit_values\": [..]}}`" },
                "counterparty_name": column.clone(), "counterparty_iban": column.clone(), "counterparty_bic": column.clone(),
                "remittance": { "type": "array", "items": column.clone() }, "reference": column.clone(),
                "end_to_end_id": column.clone(), "bank_reference": column.clone(), "transaction_code": column.clone(),
                "return_reason": column.clone(), "balance_after": column } },
        "InvoiceImport": { "type": "object", "required": ["outcome", "invoice", "debtor"], "properties": {
            "file": { "type": "string" }, "outcome": { "type": "string", "enum": ["created", "already_imported", "updated", "conflicts_with_stored"] },
            "invoice": { "type": "string" }, "debtor": { "type": "string" }, "debtor_created": { "type": "boolean" },
            "debtor_updated": { "type": "array", "items": { "type": "string" }, "description": "Fields of an existing debtor that were empty and are now filled from the invoice." },
            "pdf_kept": { "type": "boolean" } } },
        "BankEntry": { "type": "object", "required": ["id", "account", "booking_date", "amount", "status"], "properties": {
            "id": { "type": "integer" }, "account": { "type": "string" }, "booking_date": date("Booked on."), "amount": { "type": "string" },
            "counterparty_name": { "type": ["string", "null"] }, "counterparty_iban": { "type": ["string", "null"] },
            "reference": { "type": ["string", "null"] }, "remittance": { "type": "string" },
            "status": { "type": "string", "enum": ["matched", "review", "unmatched", "ignored", "reversal", "rejected"] },
            "payment_id": { "type": ["integer", "null"] } } },
        "ReviewItem": { "allOf": [r("BankEntry"), { "type": "object", "properties": { "suggestions": { "type": "array", "items": { "type": "object", "properties": {
            "rule": { "type": "string", "enum": ["reference", "plan_instalment", "invoice_number", "iban", "name"] }, "confidence": { "type": "integer" },
            "debtor_number": { "type": ["string", "null"] }, "allocations": { "type": "array", "items": { "type": "object", "properties": {
                "invoice_number": { "type": "string" }, "amount": { "type": "string" } } } },
            "unapplied": { "type": "string" }, "explanation": { "type": "string", "description": "Why, in English." },
            "explanations": { "type": "object", "description": "The explanation in Dutch and French; absent on entries imported before the matcher kept its sentences.",
                "required": ["nl", "fr"], "properties": { "nl": { "type": "string" }, "fr": { "type": "string" } } } } } } } }] },
        "AcceptMatch": { "type": "object", "additionalProperties": false, "properties": {
            "choice": { "type": "integer", "minimum": 1 },
            "split": { "type": "array", "items": { "type": "object", "required": ["invoice_number", "amount"], "properties": {
                "invoice_number": { "type": "string" }, "amount": { "type": "string" } } } } } },
    })
}
