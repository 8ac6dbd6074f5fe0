/* Functions for dash-ag-grid column definitions, referenced by name
 * ("comparator": {"function": "lbDecisionOrder"}). Plain functions in a local
 * file: no eval. */
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

function lbEmpty(value) {
    return value === null || value === undefined || value === '' || (typeof value === 'number' && isNaN(value));
}

/* The order that serves the decision, in both directions: rows with a value
 * before rows without one (suppressed "<5" or "–"), then current units before
 * inaktuella, then the values. AG Grid negates a comparator's result for a
 * descending sort, so what must stay last is flipped back here. Mirrors
 * _sort_key in data/questions/waits.py (the server's and the files' order). */
dagfuncs.lbDecisionOrder = function (valueA, valueB, nodeA, nodeB, isDescending) {
    var last = isDescending ? -1 : 1;
    var emptyA = lbEmpty(valueA), emptyB = lbEmpty(valueB);
    if (emptyA !== emptyB) {
        return emptyA ? last : -last;
    }
    var staleA = !!(nodeA && nodeA.data && nodeA.data.stale);
    var staleB = !!(nodeB && nodeB.data && nodeB.data.stale);
    if (staleA !== staleB) {
        return staleA ? last : -last;
    }
    if (emptyA) {
        return 0;
    }
    return valueA < valueB ? -1 : (valueA > valueB ? 1 : 0);
};
