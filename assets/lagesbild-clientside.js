/* Clientside callbacks (referenced with dash.ClientsideFunction, no inline code). */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    lagesbild: {
        /* Write the view state into the address bar without reloading and
         * without re-rendering the page: replaceState, no Dash location event. */
        replaceSearch: function (search) {
            if (typeof search === 'string') {
                var url = window.location.pathname + search;
                if (url !== window.location.pathname + window.location.search) {
                    window.history.replaceState(window.history.state, '', url);
                }
            }
            return window.dash_clientside.no_update;
        },

        /* "Kopiera länk": the address of exactly this view (the state store, which
         * the address bar mirrors) to the clipboard; where the browser refuses,
         * the link is shown for copying by hand. */
        copyViewLink: function (nClicks, search) {
            if (!nClicks) {
                return window.dash_clientside.no_update;
            }
            var url = window.location.origin + window.location.pathname + (search || '');
            var manual = 'Kopiera länken: ' + url;
            if (!navigator.clipboard || !window.isSecureContext) {
                return manual;
            }
            return navigator.clipboard.writeText(url).then(
                function () { return 'Länken till vyn är kopierad.'; },
                function () { return manual; }
            );
        }
    }
});
