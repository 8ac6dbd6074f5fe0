/* No keystroke lost in a dropdown's search (issue 14): right after a
 * dropdown opens, Dash mounts its search field in a popover and moves the
 * focus there; a key typed in between reached the closed trigger and was
 * lost ("knä" became "kä"). Keys typed while the focus is still on a
 * dropdown's trigger are held here and given to the search field, in order,
 * as soon as it exists. */
(function () {
    var pending = '';
    var waiting = false;
    var setValue = Object.getOwnPropertyDescriptor(window.HTMLInputElement.prototype, 'value').set;

    function searchField() {
        var fields = document.querySelectorAll('input.dash-dropdown-search');
        return fields.length ? fields[fields.length - 1] : null;
    }

    function deliver(deadline) {
        var field = searchField();
        if (field) {
            field.focus();
            setValue.call(field, field.value + pending);
            pending = '';
            waiting = false;
            field.dispatchEvent(new Event('input', {bubbles: true}));
            return;
        }
        if (Date.now() > deadline) {
            pending = '';
            waiting = false;
            return;
        }
        window.requestAnimationFrame(function () { deliver(deadline); });
    }

    document.addEventListener('keydown', function (event) {
        var active = document.activeElement;
        if (!active || active.matches('input, textarea') || !active.closest('.dash-dropdown')) {
            return;
        }
        if (event.key.length !== 1 || event.ctrlKey || event.metaKey || event.altKey) {
            return;
        }
        var field = searchField();
        if (field && document.activeElement === field) {
            return;
        }
        event.preventDefault();
        event.stopPropagation();
        pending += event.key;
        if (!waiting) {
            waiting = true;
            if (!field) {
                active.click();   /* a closed dropdown opens on its first key, as before */
            }
            deliver(Date.now() + 1500);
        }
    }, true);
})();
