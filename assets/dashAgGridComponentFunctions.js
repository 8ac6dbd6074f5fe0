/* Cell renderers for dash-ag-grid, referenced by name from columnDefs
 * ("cellRenderer": "UnitLink"). Plain functions in a local file: no eval. */
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

/* A unit's name as a link to its Enhet page. A plain click navigates inside
 * the Dash app (history.pushState + Dash's location event, no reload);
 * ctrl/cmd/middle click opens a new tab as usual. */
dagcomponentfuncs.UnitLink = function (props) {
    if (!props.data || !props.data.href) {
        return props.value;
    }
    var href = props.data.href;
    return React.createElement(
        'a',
        {
            href: href,
            className: 'lb-unit-link',
            onClick: function (event) {
                if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
                    return;
                }
                event.preventDefault();
                window.history.pushState({}, '', href);
                window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'));
                window.scrollTo(0, 0);
            }
        },
        props.value
    );
};
