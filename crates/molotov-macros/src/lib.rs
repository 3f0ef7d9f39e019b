//! Attribute macros for molotov load tests: Molotov's decorators, for Rust functions.
//!
//! Each attribute keeps the function as written and adds, next to it, a hidden module of the
//! same name with one function, `register(plan) -> plan`, that makes the plain API call
//! (`plan.scenario(Scenario::new("home", home).weight(40))`, `plan.setup(init_worker)`...).
//! `molotov::plan![home, init_worker]` calls those `register` functions in turn. Nothing here
//! is needed to use molotov: every expansion is a call a user could write by hand.
//!
//! The macros also check what the compiler would only report obscurely: a scenario or an
//! async fixture must be `async fn`, a synchronous fixture must not be.
//!
//! | attribute | function shape | plan call |
//! |---|---|---|
//! | `#[scenario(weight = 40, delay = 0.5, name = "x")]` | `async fn(Session) -> ScenarioResult` | `Plan::scenario` |
//! | `#[global_setup]` | `fn(&RunInfo) -> Result<(), BoxError>` | `Plan::global_setup` |
//! | `#[setup]` | `async fn(usize, RunInfo) -> SetupResult` | `Plan::setup` |
//! | `#[setup_session]` | `async fn(usize, Session) -> Result<(), BoxError>` | `Plan::setup_session` |
//! | `#[teardown_session]` | `async fn(usize, Session) -> Result<(), BoxError>` | `Plan::teardown_session` |
//! | `#[teardown]` | `fn(usize) -> Result<(), BoxError>` | `Plan::teardown` |
//! | `#[global_teardown]` | `fn(&RunInfo) -> Result<(), BoxError>` | `Plan::global_teardown` |
//! | `#[scenario_picker]` | `fn(usize, u64) -> String` | `Plan::scenario_picker` |
//! | `#[events]` | `fn(&Event<'_>) -> Result<(), BoxError>` | `Plan::listener` |

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as Tokens};
use quote::quote;
use syn::parse::Parser as _;
use syn::{Expr, ExprLit, ItemFn, Lit, LitStr, parse_macro_input};

/// Registers an `async fn(Session) -> ScenarioResult` as a scenario.
///
/// Arguments, all optional: `weight = 40` (or just `40`), `delay = 1.5` (seconds, after a
/// successful run), `name = "..."` (defaults to the function's name).
#[proc_macro_attribute]
pub fn scenario(attr: TokenStream, item: TokenStream) -> TokenStream {
    let function = parse_macro_input!(item as ItemFn);
    match scenario_registration(attr.into(), &function) {
        Ok(body) => with_register(&function, &body),
        Err(e) => e.to_compile_error().into(),
    }
}

fn scenario_registration(attr: Tokens, function: &ItemFn) -> syn::Result<Tokens> {
    require_async(function, true, "a scenario")?;
    let ident = &function.sig.ident;
    let mut name = LitStr::new(&ident.to_string(), ident.span());
    let mut weight: Option<Expr> = None;
    let mut delay: Option<Expr> = None;
    if let Ok(Expr::Lit(ExprLit {
        lit: Lit::Int(w), ..
    })) = syn::parse2::<Expr>(attr.clone())
    {
        weight = Some(syn::parse_quote!(#w));
    } else {
        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident("weight") {
                weight = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("delay") {
                delay = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("name") {
                name = meta.value()?.parse()?;
            } else {
                return Err(meta.error("expected `weight`, `delay` or `name`"));
            }
            Ok(())
        });
        parser.parse2(attr)?;
    }
    let weight = weight.map(|w| quote!(.weight(#w)));
    let delay = delay.map(|d| quote!(.delay(::std::time::Duration::from_secs_f64(#d as f64))));
    Ok(quote! {
        plan.scenario(::molotov::Scenario::new(#name, super::#ident) #weight #delay)
    })
}

/// Registers the fixture that runs once before any worker: `fn(&RunInfo) -> Result<(), BoxError>`.
#[proc_macro_attribute]
pub fn global_setup(attr: TokenStream, item: TokenStream) -> TokenStream {
    fixture(attr, item, "global_setup", false)
}

/// Registers the per-worker fixture that returns the session options:
/// `async fn(usize, RunInfo) -> SetupResult`.
#[proc_macro_attribute]
pub fn setup(attr: TokenStream, item: TokenStream) -> TokenStream {
    fixture(attr, item, "setup", true)
}

/// Registers the fixture that runs once a worker's session exists:
/// `async fn(usize, Session) -> Result<(), BoxError>`.
#[proc_macro_attribute]
pub fn setup_session(attr: TokenStream, item: TokenStream) -> TokenStream {
    fixture(attr, item, "setup_session", true)
}

/// Registers the fixture that runs before a worker's session closes:
/// `async fn(usize, Session) -> Result<(), BoxError>`.
#[proc_macro_attribute]
pub fn teardown_session(attr: TokenStream, item: TokenStream) -> TokenStream {
    fixture(attr, item, "teardown_session", true)
}

/// Registers the fixture that runs when a worker is done: `fn(usize) -> Result<(), BoxError>`.
#[proc_macro_attribute]
pub fn teardown(attr: TokenStream, item: TokenStream) -> TokenStream {
    fixture(attr, item, "teardown", false)
}

/// Registers the fixture that runs once at the end: `fn(&RunInfo) -> Result<(), BoxError>`.
#[proc_macro_attribute]
pub fn global_teardown(attr: TokenStream, item: TokenStream) -> TokenStream {
    fixture(attr, item, "global_teardown", false)
}

/// Registers the scenario picker: `fn(usize, u64) -> String` (worker id, run number from 1;
/// returns a scenario name).
#[proc_macro_attribute]
pub fn scenario_picker(attr: TokenStream, item: TokenStream) -> TokenStream {
    fixture(attr, item, "scenario_picker", false)
}

/// Registers an event listener: `fn(&Event<'_>) -> Result<(), BoxError>`.
#[proc_macro_attribute]
pub fn events(attr: TokenStream, item: TokenStream) -> TokenStream {
    fixture(attr, item, "listener", false)
}

fn fixture(attr: TokenStream, item: TokenStream, method: &str, asynchronous: bool) -> TokenStream {
    let function = parse_macro_input!(item as ItemFn);
    let result = (|| {
        if !attr.is_empty() {
            return Err(syn::Error::new(
                Tokens::from(attr)
                    .into_iter()
                    .next()
                    .map_or_else(Span::call_site, |t| t.span()),
                format!("#[{method}] takes no arguments"),
            ));
        }
        let what = format!("the {method} fixture");
        require_async(&function, asynchronous, &what)?;
        let ident = &function.sig.ident;
        let method = syn::Ident::new(method, Span::call_site());
        Ok(quote!(plan.#method(super::#ident)))
    })();
    match result {
        Ok(body) => with_register(&function, &body),
        Err(e) => e.to_compile_error().into(),
    }
}

fn require_async(function: &ItemFn, asynchronous: bool, what: &str) -> syn::Result<()> {
    match (asynchronous, function.sig.asyncness.is_some()) {
        (true, false) => Err(syn::Error::new_spanned(
            function.sig.fn_token,
            format!("{what} must be an `async fn`"),
        )),
        (false, true) => Err(syn::Error::new_spanned(
            function.sig.asyncness,
            format!("{what} must not be async"),
        )),
        _ => Ok(()),
    }
}

/// The function unchanged, plus `mod <name> { pub fn register(plan) -> plan }`.
fn with_register(function: &ItemFn, body: &Tokens) -> TokenStream {
    let ident = &function.sig.ident;
    let vis = &function.vis;
    quote! {
        // The signature is the plan's, so a fixture that cannot fail still returns a Result.
        #[allow(clippy::unnecessary_wraps)]
        #function

        #[doc(hidden)]
        #[allow(non_snake_case, missing_docs, unreachable_pub)]
        #vis mod #ident {
            /// Adds this item to a plan (what `molotov::plan!` calls).
            pub fn register(plan: ::molotov::Plan) -> ::molotov::Plan {
                #body
            }
        }
    }
    .into()
}
