//! The browser entry point: hydrate the server-rendered page, once the code
//! of the page's route (a lazily loaded piece of the wasm) has arrived.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        let body = leptos::prelude::document().body().expect("a page has a body");
        leptos::mount::hydrate_from_async(body.clone(), app::App).await.forget();
        // A marker for end-to-end tests (and curious people): the page is interactive now.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
