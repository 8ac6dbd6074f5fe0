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
        }
    }
});
