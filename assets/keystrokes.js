/* No keystroke lost in a dropdown's search (issue 14): right after a
 * dropdown opens, Dash mounts its search field in a popover and moves the
 * focus there; a key typed in between reached the closed trigger and was
 * lost ("knä" became "kä"). Keys typed while the focus is still on a
 * dropdown's trigger are held here and given to the search field, in order,
 * as soon as it exists; keys typed until then wait behind them. */
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

    function hold(event) {
        event.preventDefault();
        event.stopPropagation();
        pending += event.key;
    }

    document.addEventListener('keydown', function (event) {
        if (event.key.length !== 1 || event.ctrlKey || event.metaKey || event.altKey) {
            return;
        }
        if (waiting) {
            /* Keys held earlier have not reached the search field yet: this one
             * follows them, even when the focus has just moved there ("knä"
             * once became "näk": "n" and "ä" went straight in, "k" after them). */
            hold(event);
            return;
        }
        var active = document.activeElement;
        if (!active || active.matches('input, textarea') || !active.closest('.dash-dropdown')) {
            return;
        }
        var field = searchField();
        if (field && document.activeElement === field) {
            return;
        }
        hold(event);
        waiting = true;
        /* A closed dropdown opens on its first key; one already opening (clicked a moment ago) is left
         * to open, not clicked shut again. */
        var trigger = active.closest('[aria-expanded]') || active;
        if (!field && trigger.getAttribute('aria-expanded') !== 'true') {
            active.click();
        }
        deliver(Date.now() + 1500);
    }, true);

    /* Dash's dropdown also opens on a key of its own, on the key's release,
     * adding the key to its search: a key held here is given over once, by
     * deliver, so its release does not reach the dropdown ("kn" became
     * "knkn" when both added it). */
    document.addEventListener('keyup', function (event) {
        if (event.key.length !== 1 || event.ctrlKey || event.metaKey || event.altKey) {
            return;
        }
        var active = document.activeElement;
        var onTrigger = active && !active.matches('input, textarea') && active.closest('.dash-dropdown');
        if (waiting || onTrigger) {
            event.preventDefault();
            event.stopPropagation();
        }
    }, true);
})();
