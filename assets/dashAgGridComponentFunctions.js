/* Cell renderers for dash-ag-grid, referenced by name from columnDefs
 * ("cellRenderer": "UnitLink"). Plain functions in a local file: no eval. */
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

/* The unit page's address with the table view it is opened from (?fran=…),
 * so that its "Tillbaka" link returns to exactly that view: window, filters,
 * home, sort and grid filter as they are at the moment of the click. */
function withTableView(href) {
    var search = window.location.search.replace(/^\?/, '');
    if (window.location.pathname !== '/' || !search) {
        return href;
    }
    return href + (href.indexOf('?') >= 0 ? '&' : '?') + 'fran=' + encodeURIComponent(search);
}

/* A unit's name as a link to its Enhet page. A plain click navigates inside
 * the Dash app (history.pushState + Dash's location event, no reload);
 * ctrl/cmd/middle click opens a new tab as usual (the address is brought up
 * to date on mouse-down and focus, before the browser follows it). */
dagcomponentfuncs.UnitLink = function (props) {
    if (!props.data || !props.data.href) {
        return props.value;
    }
    var href = props.data.href;
    var refresh = function (event) { event.currentTarget.href = withTableView(href); };
    var link = React.createElement(
        'a',
        {
            href: href,
            className: 'lb-unit-link',
            /* Not a Tab stop of its own: the cell is (Enter opens the unit, assets/a11y.js). */
            tabIndex: -1,
            onMouseDown: refresh,
            onFocus: refresh,
            onClick: function (event) {
                if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
                    return;
                }
                event.preventDefault();
                window.history.pushState({}, '', withTableView(href));
                window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'));
                window.scrollTo(0, 0);
            }
        },
        props.value
    );
    var parts = [link];
    /* The reason an inaktuell unit sorts last, in its own cell (not only in a far column). */
    if (props.data.stale) {
        parts.push(' ', React.createElement('span', {className: 'lb-stale-badge', title: props.data.stale_tip || ''},
                                            'inaktuell'));
    }
    /* A current capacity notice of the unit for the group (Kapacitetsannonser). */
    if (props.data.annons) {
        parts.push(' ', React.createElement('a', {className: 'lb-notice-badge', tabIndex: -1, href: '/annonser?kva=' +
                                                  encodeURIComponent((props.data.href.split('kva=')[1] || '')),
                                                  title: props.data.annons_tip || ''}, props.data.annons));
    }
    return parts.length === 1 ? link : React.createElement.apply(null, ['span', null].concat(parts));
};
