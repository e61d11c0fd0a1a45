import { defineCommand } from './spec.js';

export default defineCommand({
  name: 'translate',
  order: 10,
  task: 'translate',
  run: () => import('../src/tasks/translate.js').then((m) => m.translateTask),
  // One model per language pair; SINAPSIS_TRANSLATION_MODELS (a pair → model map) overrides the manifest's.
  models: { uses: [{ task: 'translate' }], need: 'any' },
  texts: {
    'en-US': { name: 'translate', description: 'Translate text between Spanish and English with a neural network' },
    'es-ES': { name: 'traducir', description: 'Traduce texto entre español e inglés con una red neuronal' },
    'es-419': { name: 'traducir', description: 'Traduce texto entre español e inglés con una red neuronal' },
  },
  help: {
    'en-US':
      'Translates your text with a Marian encoder-decoder transformer (OPUS-MT). The source language is detected automatically unless you set "from".',
    'es-ES':
      'Traduce tu texto con un transformer codificador-decodificador Marian (OPUS-MT). El idioma de origen se detecta solo, salvo que indiques "desde".',
    'es-419':
      'Traduce tu texto con un transformer codificador-decodificador Marian (OPUS-MT). El idioma de origen se detecta solo, salvo que indiques "desde".',
  },
  options: [
    {
      name: 'text',
      type: 'string',
      required: true,
      minLength: 1,
      maxLength: 4000,
      texts: {
        'en-US': { name: 'text', description: 'Text to translate (up to 4000 characters)', label: 'Text' },
        'es-ES': { name: 'texto', description: 'Texto a traducir (hasta 4000 caracteres)', label: 'Texto' },
        'es-419': { name: 'texto', description: 'Texto a traducir (hasta 4000 caracteres)', label: 'Texto' },
      },
    },
    {
      name: 'from',
      type: 'string',
      minLength: 2,
      maxLength: 8,
      texts: {
        'en-US': {
          name: 'from',
          description: 'Source language code, e.g. es or en (detected when omitted)',
          label: 'From (language)',
        },
        'es-ES': {
          name: 'desde',
          description: 'Idioma de origen (se detecta si no lo indicas)',
          label: 'Desde (idioma)',
        },
        'es-419': {
          name: 'desde',
          description: 'Idioma de origen (se detecta si no lo indicás)',
          label: 'Desde (idioma)',
        },
      },
    },
    {
      name: 'to',
      type: 'string',
      minLength: 2,
      maxLength: 8,
      texts: {
        'en-US': {
          name: 'to',
          description: 'Target language code (English for Spanish input, else Spanish)',
          label: 'To (language)',
        },
        'es-ES': {
          name: 'hacia',
          description: 'Idioma de destino (inglés si el texto está en español; si no, español)',
          label: 'Hacia (idioma)',
        },
        'es-419': {
          name: 'hacia',
          description: 'Idioma de destino (inglés si el texto está en español; si no, español)',
          label: 'Hacia (idioma)',
        },
      },
    },
  ],
  // Right-click a message → its text, into the reader's own language, privately.
  contextMenu: {
    names: { 'en-US': 'Translate', 'es-ES': 'Traducir', 'es-419': 'Traducir' },
    descriptions: {
      'en-US': 'Translate this message into your language (only you see it)',
      'es-ES': 'Traduce este mensaje a tu idioma (solo lo ves tú)',
      'es-419': 'Traduce este mensaje a tu idioma (solo lo ves vos)',
    },
    input: { text: 'text' },
    preset: { to: { es: 'es', en: 'en' } },
    reply: 'private',
  },
  examples: {
    'en-US': [
      {
        label: 'A sentence about neural networks',
        options: { text: 'Neural networks learn from examples instead of following hand-written rules.' },
      },
      { label: 'Two sentences', options: { text: 'The weather is nice today. Let us go for a walk in the park.' } },
    ],
    'es-ES': [
      {
        label: 'Una frase sobre redes neuronales',
        options: { text: 'Las redes neuronales aprenden de ejemplos en lugar de seguir reglas escritas a mano.' },
      },
      { label: 'Dos frases', options: { text: 'Hoy hace buen tiempo. Vamos a caminar por el parque.' } },
    ],
    'es-419': [
      {
        label: 'Una frase sobre redes neuronales',
        options: { text: 'Las redes neuronales aprenden de ejemplos en vez de seguir reglas escritas a mano.' },
      },
      { label: 'Dos frases', options: { text: 'Hoy hace lindo día. Vamos a caminar por el parque.' } },
    ],
  },
});
