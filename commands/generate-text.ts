import { type CommandExample, defineCommand } from './spec.js';

// The same Spanish examples for Spain and Latin America.
const spanishExamples: readonly CommandExample[] = [
  {
    label: 'Había una vez… (el modelo de ejemplo escribe en inglés)',
    options: { prompt: 'Once upon a time, there was a little robot' },
  },
  {
    label: 'Un gato y un perro (en inglés)',
    options: { prompt: 'The cat and the dog were best friends. One day', temperature: 0.8, seed: 42 },
  },
  {
    label: 'Siempre la palabra más probable (temperatura 0)',
    options: { prompt: 'Lily went to the park and', temperature: 0 },
  },
];

export default defineCommand({
  name: 'generate-text',
  order: 20,
  task: 'generate-text',
  run: () => import('../src/tasks/generate-text.js').then((m) => m.generateTextTask),
  models: { uses: [{ task: 'generate-text', setting: 'SINAPSIS_TEXT_MODEL' }], need: 'all' },
  texts: {
    'en-US': { name: 'generate-text', description: 'Continue a prompt with a small language model (transformer)' },
    'es-ES': {
      name: 'generar-texto',
      description: 'Continúa un texto con un modelo de lenguaje pequeño (transformer)',
    },
    'es-419': {
      name: 'generar-texto',
      description: 'Continúa un texto con un modelo de lenguaje pequeño (transformer)',
    },
  },
  help: {
    'en-US':
      'A small GPT-style transformer writes a continuation of your prompt, one token at a time. The output is AI-generated and may be wrong.',
    'es-ES':
      'Un transformer pequeño estilo GPT escribe la continuación de tu texto, token a token. El resultado lo genera una IA y puede ser incorrecto.',
    'es-419':
      'Un transformer pequeño estilo GPT escribe la continuación de tu texto, token a token. El resultado lo genera una IA y puede ser incorrecto.',
  },
  options: [
    {
      name: 'prompt',
      type: 'string',
      required: true,
      minLength: 1,
      maxLength: 2000,
      texts: {
        'en-US': { name: 'prompt', description: 'What the model should continue or answer', label: 'Prompt' },
        'es-ES': { name: 'texto', description: 'Lo que el modelo debe continuar o responder', label: 'Texto inicial' },
        'es-419': { name: 'texto', description: 'Lo que el modelo debe continuar o responder', label: 'Texto inicial' },
      },
    },
    {
      name: 'max-new-tokens',
      type: 'integer',
      min: 1,
      max: 256,
      default: 80,
      texts: {
        'en-US': {
          name: 'max-new-tokens',
          description: 'How many tokens to write at most (1-256)',
          label: 'Maximum new tokens',
        },
        'es-ES': {
          name: 'max-tokens',
          description: 'Cuántos tokens escribir como máximo (1-256)',
          label: 'Máximo de tokens nuevos',
        },
        'es-419': {
          name: 'max-tokens',
          description: 'Cuántos tokens escribir como máximo (1-256)',
          label: 'Máximo de tokens nuevos',
        },
      },
    },
    {
      name: 'temperature',
      type: 'number',
      min: 0,
      max: 2,
      default: 0.7,
      texts: {
        'en-US': {
          name: 'temperature',
          description: 'Randomness: 0 always picks the likeliest token',
          label: 'Temperature',
        },
        'es-ES': {
          name: 'temperatura',
          description: 'Aleatoriedad: 0 elige siempre el token más probable',
          label: 'Temperatura',
        },
        'es-419': {
          name: 'temperatura',
          description: 'Aleatoriedad: 0 elige siempre el token más probable',
          label: 'Temperatura',
        },
      },
    },
    {
      name: 'top-k',
      type: 'integer',
      min: 0,
      max: 200,
      default: 0,
      texts: {
        'en-US': {
          name: 'top-k',
          description: 'Pick only among the k likeliest tokens (0 = no limit)',
          label: 'Top-k (only the k likeliest tokens)',
        },
        'es-ES': {
          name: 'top-k',
          description: 'Elegir solo entre los k tokens más probables (0 = sin límite)',
          label: 'Top-k (solo los k tokens más probables)',
        },
        'es-419': {
          name: 'top-k',
          description: 'Elegir solo entre los k tokens más probables (0 = sin límite)',
          label: 'Top-k (solo los k tokens más probables)',
        },
      },
    },
    {
      name: 'top-p',
      type: 'number',
      min: 0.05,
      max: 1,
      default: 1,
      texts: {
        'en-US': {
          name: 'top-p',
          description: 'Pick among the likeliest tokens adding up to this probability',
          label: 'Top-p (nucleus sampling)',
        },
        'es-ES': {
          name: 'top-p',
          description: 'Elegir entre los tokens más probables que suman esta probabilidad',
          label: 'Top-p (muestreo por núcleo)',
        },
        'es-419': {
          name: 'top-p',
          description: 'Elegir entre los tokens más probables que suman esta probabilidad',
          label: 'Top-p (muestreo por núcleo)',
        },
      },
    },
    {
      name: 'seed',
      type: 'integer',
      min: 0,
      max: 2147483647,
      texts: {
        'en-US': { name: 'seed', description: 'Same seed, same text', label: 'Seed' },
        'es-ES': { name: 'semilla', description: 'Misma semilla, mismo texto', label: 'Semilla' },
        'es-419': { name: 'semilla', description: 'Misma semilla, mismo texto', label: 'Semilla' },
      },
    },
    {
      name: 'show-probabilities',
      type: 'boolean',
      default: false,
      texts: {
        'en-US': {
          name: 'show-probabilities',
          description: 'Also show, as a chart, the likeliest next tokens and how temperature changes them',
          label: 'Show next-token probabilities',
        },
        'es-ES': {
          name: 'mostrar-probabilidades',
          description:
            'Mostrar también, en un gráfico, los tokens siguientes más probables y cómo los cambia la temperatura',
          label: 'Mostrar probabilidades del próximo token',
        },
        'es-419': {
          name: 'mostrar-probabilidades',
          description:
            'Mostrar también, en un gráfico, los tokens siguientes más probables y cómo los cambia la temperatura',
          label: 'Mostrar probabilidades del próximo token',
        },
      },
    },
    {
      name: 'show-attention',
      type: 'boolean',
      default: false,
      texts: {
        'en-US': {
          name: 'show-attention',
          description: 'Also show where each word of your prompt looks (attention heat map)',
          label: 'Show attention',
        },
        'es-ES': {
          name: 'mostrar-atencion',
          description: 'Mostrar también adónde mira cada palabra de tu texto (mapa de calor de la atención)',
          label: 'Mostrar la atención',
        },
        'es-419': {
          name: 'mostrar-atencion',
          description: 'Mostrar también adónde mira cada palabra de tu texto (mapa de calor de la atención)',
          label: 'Mostrar la atención',
        },
      },
    },
  ],
  continues: 'prompt',
  // The default model (TinyStories) only writes English stories: the Spanish pages say so in the label.
  examples: {
    'en-US': [
      { label: 'Once upon a time…', options: { prompt: 'Once upon a time, there was a little robot' } },
      {
        label: 'A cat and a dog',
        options: { prompt: 'The cat and the dog were best friends. One day', temperature: 0.8, seed: 42 },
      },
      {
        label: 'Always the likeliest word (temperature 0)',
        options: { prompt: 'Lily went to the park and', temperature: 0 },
      },
    ],
    'es-ES': spanishExamples,
    'es-419': spanishExamples,
  },
});
