import { defineCommand } from './spec.js';

export default defineCommand({
  name: 'translate',
  task: 'translate',
  texts: {
    'en-US': { name: 'translate', description: 'Translate text between Spanish and English with a neural network' },
    'es-ES': { name: 'traducir', description: 'Traduce texto entre español e inglés con una red neuronal' },
    'es-419': { name: 'traducir', description: 'Traduce texto entre español e inglés con una red neuronal' },
  },
  help: {
    'en-US': 'Translates your text with a Marian encoder-decoder transformer (OPUS-MT). The source language is detected automatically unless you set "from".',
    'es-ES': 'Traduce tu texto con un transformer codificador-decodificador Marian (OPUS-MT). El idioma de origen se detecta solo, salvo que indiques "desde".',
    'es-419': 'Traduce tu texto con un transformer codificador-decodificador Marian (OPUS-MT). El idioma de origen se detecta solo, salvo que indiques "desde".',
  },
  options: [
    {
      name: 'text',
      type: 'string',
      required: true,
      minLength: 1,
      maxLength: 4000,
      texts: {
        'en-US': { name: 'text', description: 'Text to translate (up to 4000 characters)' },
        'es-ES': { name: 'texto', description: 'Texto a traducir (hasta 4000 caracteres)' },
        'es-419': { name: 'texto', description: 'Texto a traducir (hasta 4000 caracteres)' },
      },
    },
    {
      name: 'from',
      type: 'string',
      minLength: 2,
      maxLength: 8,
      texts: {
        'en-US': { name: 'from', description: 'Source language code, e.g. es or en (detected when omitted)' },
        'es-ES': { name: 'desde', description: 'Idioma de origen (se detecta si no lo indicas)' },
        'es-419': { name: 'desde', description: 'Idioma de origen (se detecta si no lo indicás)' },
      },
    },
    {
      name: 'to',
      type: 'string',
      minLength: 2,
      maxLength: 8,
      texts: {
        'en-US': { name: 'to', description: 'Target language code (English for Spanish input, else Spanish)' },
        'es-ES': { name: 'hacia', description: 'Idioma de destino (inglés si el texto está en español; si no, español)' },
        'es-419': { name: 'hacia', description: 'Idioma de destino (inglés si el texto está en español; si no, español)' },
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
});
