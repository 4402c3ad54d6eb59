//! Voice capture on the brain-dump page. With transcription on the server,
//! the browser records (MediaRecorder) and the recording is posted to
//! `/brain-dump/transcribe`; otherwise the browser's own speech recognition
//! is used where it has one; else there is no button. The text is appended
//! to the editor for the person to read before processing. A recording whose
//! transcription failed is kept until it is sent again or replaced.
//!
//! The button appears only once the page runs in a browser (the server
//! cannot know what the browser can do); without JavaScript there is none.

use leptos::prelude::*;

/// How this browser can take speech.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq)]
enum Way {
    /// Record, and have the server transcribe.
    Record,
    /// The browser's own speech recognition.
    Speech,
    /// Neither: no button.
    Neither,
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    Idle,
    /// Asking for the microphone.
    Starting,
    Recording,
    Sending,
    Listening,
}

/// The longest single recording (it stops by itself then, and is sent).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const MAX_SECONDS: u32 = 600;

#[component]
pub fn VoiceButton(
    /// Whether the server transcribes recordings.
    transcribe: bool,
    /// Called with each piece of text heard.
    on_text: Callback<String>,
    /// True while the text cannot change (a dump being processed).
    #[prop(into)]
    disabled: Signal<bool>,
) -> impl IntoView {
    let way = RwSignal::new(None::<Way>);
    let phase = RwSignal::new(Phase::Idle);
    let error = RwSignal::new(None::<String>);
    let seconds = RwSignal::new(0u32);
    let has_kept = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    let (toggle, retry) = {
        let live = browser::Live::new(phase, error, seconds, has_kept, on_text);
        Effect::new(move |_| way.set(Some(browser::way(transcribe))));
        (
            Callback::new(move |()| match (phase.get_untracked(), way.get_untracked()) {
                (Phase::Idle, Some(Way::Record)) => live.record(),
                (Phase::Idle, Some(Way::Speech)) => live.listen(),
                (Phase::Recording | Phase::Listening, _) => live.stop(),
                _ => {}
            }),
            Callback::new(move |()| live.retry()),
        )
    };
    #[cfg(not(feature = "hydrate"))]
    let (toggle, retry) = {
        let _ = (transcribe, on_text, &has_kept);
        (Callback::new(|()| {}), Callback::new(|()| {}))
    };
    let label = move || match phase.get() {
        Phase::Idle => "Speak",
        Phase::Starting => "Starting…",
        Phase::Recording | Phase::Listening => "Stop",
        Phase::Sending => "Transcribing…",
    };
    let status = move || match phase.get() {
        Phase::Recording => format!("Recording {}:{:02}", seconds.get() / 60, seconds.get() % 60),
        Phase::Listening => "Listening…".to_string(),
        Phase::Sending => "Turning your recording into text…".to_string(),
        _ => String::new(),
    };
    let shown = move || match way.get() {
        None => "",
        Some(Way::Record) => "record",
        Some(Way::Speech) => "speech",
        Some(Way::Neither) => "none",
    };
    view! {
        <div class="contents" data-testid="voice" data-way=shown>
        {move || {
        way.get().filter(|w| *w != Way::Neither).map(|_| {
            let active = move || matches!(phase.get(), Phase::Recording | Phase::Listening);
            view! {
                <div class="flex flex-wrap items-center gap-2">
                    <button
                        type="button"
                        class="btn"
                        aria-pressed=move || active().to_string()
                        title="Speak instead of typing; the words are added to your text"
                        disabled=move || {
                            disabled.get() || matches!(phase.get(), Phase::Starting | Phase::Sending)
                        }
                        on:click=move |_| toggle.run(())
                    >
                        <svg
                            aria-hidden="true"
                            class="mr-1.5 h-4 w-4"
                            viewBox="0 0 24 24"
                            fill="none"
                            stroke="currentColor"
                            stroke-width="2"
                            stroke-linecap="round"
                        >
                            <rect x="9" y="3" width="6" height="11" rx="3" />
                            <path d="M5 11a7 7 0 0 0 14 0M12 18v3" />
                        </svg>
                        {label}
                    </button>
                    <span class="text-sm text-slate-600" role="status" aria-live="polite">{status}</span>
                    {move || {
                        error
                            .get()
                            .map(|e| {
                                view! {
                                    <p class="field-error w-full" role="alert" data-testid="voice-error">{e}</p>
                                }
                            })
                    }}
                    {move || {
                        (has_kept.get() && phase.get() == Phase::Idle)
                            .then(|| {
                                view! {
                                    <button type="button" class="btn" on:click=move |_| retry.run(())>
                                        "Try the recording again"
                                    </button>
                                }
                            })
                    }}
                </div>
            }
        })
        }}
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::{MAX_SECONDS, Phase, Way};
    use leptos::prelude::*;
    use leptos::wasm_bindgen::{JsCast, JsValue, closure::Closure};
    use wasm_bindgen_futures::JsFuture;

    fn has(target: &JsValue, name: &str) -> bool {
        js_sys::Reflect::get(target, &JsValue::from_str(name)).is_ok_and(|v| !v.is_undefined() && !v.is_null())
    }

    /// Recording when the server transcribes and the browser can record
    /// (a secure page with a microphone API); else speech recognition.
    pub fn way(transcribe: bool) -> Way {
        let window = window();
        let navigator = window.navigator();
        if transcribe && has(&navigator, "mediaDevices") && has(&window, "MediaRecorder") {
            Way::Record
        } else if has(&window, "SpeechRecognition") || has(&window, "webkitSpeechRecognition") {
            Way::Speech
        } else {
            Way::Neither
        }
    }

    /// The state of one voice button, and what it holds between clicks.
    #[derive(Clone, Copy)]
    pub struct Live {
        phase: RwSignal<Phase>,
        error: RwSignal<Option<String>>,
        seconds: RwSignal<u32>,
        has_kept: RwSignal<bool>,
        on_text: Callback<String>,
        recorder: StoredValue<Option<web_sys::MediaRecorder>, LocalStorage>,
        recognition: StoredValue<Option<web_sys::SpeechRecognition>, LocalStorage>,
        /// The last recording whose transcription failed.
        kept: StoredValue<Option<web_sys::Blob>, LocalStorage>,
        ticker: StoredValue<Option<IntervalHandle>, LocalStorage>,
    }

    fn message(e: JsValue) -> String {
        e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).or_else(|| e.as_string()).unwrap_or_default()
    }

    impl Live {
        pub fn new(
            phase: RwSignal<Phase>,
            error: RwSignal<Option<String>>,
            seconds: RwSignal<u32>,
            has_kept: RwSignal<bool>,
            on_text: Callback<String>,
        ) -> Self {
            let live = Live {
                phase,
                error,
                seconds,
                has_kept,
                on_text,
                recorder: StoredValue::new_local(None),
                recognition: StoredValue::new_local(None),
                kept: StoredValue::new_local(None),
                ticker: StoredValue::new_local(None),
            };
            on_cleanup(move || live.release());
            live
        }

        /// Let go of the microphone (the page is left while recording).
        fn release(&self) {
            if let Some(Some(recorder)) = self.recorder.try_get_value() {
                recorder.set_ondataavailable(None);
                let _ = recorder.stop();
                stop_tracks(&recorder.stream());
            }
            if let Some(Some(recognition)) = self.recognition.try_get_value() {
                recognition.abort();
            }
            if let Some(Some(ticker)) = self.ticker.try_get_value() {
                ticker.clear();
            }
        }

        pub fn record(&self) {
            self.error.set(None);
            self.phase.set(Phase::Starting);
            let live = *self;
            leptos::task::spawn_local(async move {
                match live.open_microphone().await {
                    Ok(recorder) => live.start(recorder),
                    Err(e) => {
                        live.phase.set(Phase::Idle);
                        live.error.set(Some(e));
                    }
                }
            });
        }

        async fn open_microphone(&self) -> Result<web_sys::MediaRecorder, String> {
            let refused = |e: JsValue| {
                let name = e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.name())).unwrap_or_default();
                match name.as_str() {
                    "NotAllowedError" | "SecurityError" => {
                        "The microphone was not allowed. Allow it for this site in your browser, then try again."
                            .to_string()
                    }
                    "NotFoundError" => "No microphone was found.".to_string(),
                    _ => format!("The microphone could not be used: {}", message(e)),
                }
            };
            let devices = window().navigator().media_devices().map_err(refused)?;
            let constraints = web_sys::MediaStreamConstraints::new();
            constraints.set_audio(&JsValue::TRUE);
            let stream = JsFuture::from(devices.get_user_media_with_constraints(&constraints).map_err(refused)?)
                .await
                .map_err(refused)?
                .unchecked_into::<web_sys::MediaStream>();
            web_sys::MediaRecorder::new_with_media_stream(&stream).map_err(|e| {
                stop_tracks(&stream);
                format!("This browser cannot record: {}", message(e))
            })
        }

        fn start(&self, recorder: web_sys::MediaRecorder) {
            // Without a time slice, the whole recording arrives in one piece when it stops.
            let live = *self;
            let stream = recorder.stream();
            let on_data = Closure::once_into_js(move |ev: web_sys::BlobEvent| {
                stop_tracks(&stream);
                live.recorder.set_value(None);
                if let Some(ticker) = live.ticker.get_value() {
                    ticker.clear();
                }
                match ev.data().filter(|blob| blob.size() > 0.0) {
                    Some(blob) => live.send(blob),
                    None => {
                        live.phase.set(Phase::Idle);
                        live.error.set(Some("Nothing was recorded. Try again.".into()));
                    }
                }
            });
            recorder.set_ondataavailable(Some(on_data.unchecked_ref()));
            if let Err(e) = recorder.start() {
                stop_tracks(&recorder.stream());
                self.phase.set(Phase::Idle);
                self.error.set(Some(format!("The recording could not start: {}", message(e))));
                return;
            }
            self.recorder.set_value(Some(recorder));
            self.seconds.set(0);
            self.phase.set(Phase::Recording);
            let live = *self;
            let ticker = set_interval_with_handle(
                move || {
                    live.seconds.update(|s| *s += 1);
                    if live.seconds.get_untracked() >= MAX_SECONDS {
                        live.stop();
                    }
                },
                std::time::Duration::from_secs(1),
            )
            .ok();
            self.ticker.set_value(ticker);
        }

        pub fn stop(&self) {
            if let Some(recorder) = self.recorder.get_value() {
                let _ = recorder.stop();
            }
            if let Some(recognition) = self.recognition.get_value() {
                recognition.stop();
            }
        }

        pub fn retry(&self) {
            if let Some(blob) = self.kept.get_value() {
                self.send(blob);
            }
        }

        fn send(&self, blob: web_sys::Blob) {
            self.error.set(None);
            self.phase.set(Phase::Sending);
            let live = *self;
            leptos::task::spawn_local(async move {
                match transcribe(&blob).await {
                    Ok(text) => {
                        live.kept.set_value(None);
                        live.has_kept.set(false);
                        if text.is_empty() {
                            live.error.set(Some("No words were heard in that recording.".into()));
                        } else {
                            live.on_text.run(text);
                        }
                    }
                    Err(e) => {
                        live.kept.set_value(Some(blob));
                        live.has_kept.set(true);
                        live.error.set(Some(e));
                    }
                }
                live.phase.set(Phase::Idle);
            });
        }

        pub fn listen(&self) {
            self.error.set(None);
            let window = window();
            let constructor = ["SpeechRecognition", "webkitSpeechRecognition"]
                .into_iter()
                .filter_map(|name| js_sys::Reflect::get(&window, &JsValue::from_str(name)).ok())
                .find(|c| c.is_function());
            let Some(recognition) = constructor.and_then(|c| {
                js_sys::Reflect::construct(c.unchecked_ref::<js_sys::Function>(), &js_sys::Array::new())
                    .ok()
                    .map(|r| r.unchecked_into::<web_sys::SpeechRecognition>())
            }) else {
                self.error.set(Some("This browser's speech recognition could not start.".into()));
                return;
            };
            let _ = recognition.set_continuous(true);
            recognition.set_interim_results(false);
            if let Some(language) = window.navigator().language() {
                recognition.set_lang(&language);
            }
            let on_text = self.on_text;
            let on_result = Closure::<dyn FnMut(web_sys::SpeechRecognitionEvent)>::new(
                move |ev: web_sys::SpeechRecognitionEvent| {
                    let Some(results) = ev.results() else { return };
                    for i in ev.result_index()..results.length() {
                        let Some(result) = results.get(i).filter(|r| r.is_final()) else { continue };
                        if let Some(best) = result.get(0) {
                            let text = best.transcript().trim().to_string();
                            if !text.is_empty() {
                                on_text.run(text);
                            }
                        }
                    }
                },
            );
            let error = self.error;
            let on_error = Closure::<dyn FnMut(web_sys::SpeechRecognitionError)>::new(
                move |ev: web_sys::SpeechRecognitionError| {
                    use web_sys::SpeechRecognitionErrorCode as Code;
                    let text = match ev.error() {
                        Code::NoSpeech | Code::Aborted => return,
                        Code::NotAllowed | Code::ServiceNotAllowed => {
                            "The microphone was not allowed. Allow it for this site in your browser, then try again."
                        }
                        Code::AudioCapture => "No microphone was found.",
                        Code::Network => "Your browser's speech recognition could not reach its service. Type instead.",
                        _ => "Your browser's speech recognition stopped. Try again.",
                    };
                    error.set(Some(text.to_string()));
                },
            );
            let live = *self;
            let on_end = Closure::<dyn FnMut()>::new(move || {
                live.recognition.set_value(None);
                live.phase.set(Phase::Idle);
            });
            recognition.set_onresult(Some(on_result.as_ref().unchecked_ref()));
            recognition.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            recognition.set_onend(Some(on_end.as_ref().unchecked_ref()));
            // Owned by the recognition object from here on.
            on_result.forget();
            on_error.forget();
            on_end.forget();
            match recognition.start() {
                Ok(()) => {
                    self.recognition.set_value(Some(recognition));
                    self.phase.set(Phase::Listening);
                }
                Err(e) => self.error.set(Some(format!("Speech recognition could not start: {}", message(e)))),
            }
        }
    }

    fn stop_tracks(stream: &web_sys::MediaStream) {
        for track in stream.get_tracks() {
            track.unchecked_into::<web_sys::MediaStreamTrack>().stop();
        }
    }

    #[derive(serde::Deserialize)]
    struct Transcript {
        text: String,
    }

    /// Post the recording; the text, or what to tell the person.
    async fn transcribe(blob: &web_sys::Blob) -> Result<String, String> {
        let offline =
            || "Could not reach the server. Your recording is kept: try it again when you are back online.".to_string();
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_body(blob);
        let headers = web_sys::Headers::new().map_err(|_| offline())?;
        let _ = headers.set("content-type", &blob.type_());
        init.set_headers(&headers);
        let response = JsFuture::from(window().fetch_with_str_and_init("/brain-dump/transcribe", &init))
            .await
            .map_err(|_| offline())?
            .unchecked_into::<web_sys::Response>();
        let body = match response.text() {
            Ok(promise) => JsFuture::from(promise).await.ok().and_then(|b| b.as_string()).unwrap_or_default(),
            Err(_) => String::new(),
        };
        if response.ok() {
            return serde_json::from_str::<Transcript>(&body).map(|t| t.text).map_err(|_| {
                "The server's answer could not be read. Your recording is kept: try it again.".to_string()
            });
        }
        Err(match serde_json::from_str::<domain::Error>(&body) {
            Ok(e) => e.to_string(),
            Err(_) if response.status() == 413 => {
                "The recording is too long to transcribe in one piece: record shorter parts.".to_string()
            }
            Err(_) => format!("The recording could not be transcribed (error {}). Try it again.", response.status()),
        })
    }
}
