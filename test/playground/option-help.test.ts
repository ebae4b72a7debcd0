/**
 * The playground form's help (src/playground/option-help.ts): every option of every architecture
 * has its help under it (the page's words or the options table's description), the architecture's
 * help names every architecture the page offers, and the page offers only those that train.
 */
import { describe, expect, it } from 'vitest';
import { architectureModule, ARCHITECTURES } from '../../src/architectures/registry.js';
import { MODEL_OPTIONS } from '../../src/model/options.js';
import { helpOf, pageChoices, TRAINABLE_ARCHITECTURES } from '../../src/playground/option-help.js';
import { OPTION_KEYS } from '../../src/playground/option-groups.js';

describe('the playground\'s option help', () => {
  it('should give every option of the form a help text', () => {
    for (const key of OPTION_KEYS) expect(helpOf(key).text.length, key).toBeGreaterThan(10);
  });

  it.each(ARCHITECTURES.filter((name) => Object.keys(architectureModule(name).options).length > 0))('should give each option %s owns its help', (name) => {
    for (const key of Object.keys(architectureModule(name).options)) {
      expect(OPTION_KEYS, `${name}'s ${key} is in the form`).toContain(key);
      expect(helpOf(key).text.length, `${name}'s ${key}`).toBeGreaterThan(10);
    }
    // jumprelu's options, warm-up included, by name
    if (name === 'jumprelu') for (const key of ['l0Coefficient', 'l0WarmupSteps', 'bandwidth', 'initialThreshold']) expect(Object.keys(architectureModule(name).options)).toContain(key);
  });

  it('should name every architecture the form offers in the architecture\'s help, with its summary', () => {
    const text = helpOf('architecture').text;
    for (const name of TRAINABLE_ARCHITECTURES) expect(text).toContain(`${name}: ${architectureModule(name).summary}`);
    expect(TRAINABLE_ARCHITECTURES).toContain('jumprelu');
  });

  it('should offer only the architectures that train (not the inference-only gated)', () => {
    const choices = pageChoices('architecture', MODEL_OPTIONS.architecture);
    expect(choices).toEqual(TRAINABLE_ARCHITECTURES);
    expect(choices).not.toContain('gated');
    expect(ARCHITECTURES).toContain('gated');
    expect(helpOf('architecture').text).not.toContain('gated');
    expect(pageChoices('normalize', MODEL_OPTIONS.normalize)).toEqual(MODEL_OPTIONS.normalize.choices);
  });
});
