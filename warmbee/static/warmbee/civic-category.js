/*
 * The category form's "Add a question" button: another empty question row from the formset's
 * empty form (the <template>), numbered by the management form's TOTAL_FORMS. Without script
 * the form still offers two empty rows per save.
 */
(function () {
  'use strict';

  function init() {
    const add = document.getElementById('civic-question-add');
    const template = document.getElementById('civic-question-template');
    if (!add || !template) {
      return;
    }
    const prefix = add.dataset.prefix;
    const total = document.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
    const max = parseInt(add.dataset.max, 10);
    add.hidden = false;
    add.addEventListener('click', function () {
      const n = parseInt(total.value, 10);
      if (n >= max) {
        add.disabled = true;
        return;
      }
      const html = template.innerHTML.replace(/__prefix__/g, String(n));
      add.parentNode.insertAdjacentHTML('beforebegin', html);
      total.value = String(n + 1);
      add.disabled = n + 1 >= max;
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
