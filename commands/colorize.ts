import { sampleOption } from './sample-option.js';
import { type CommandExample, defineCommand, PHOTO_LIMITS } from './spec.js';

// The same Spanish examples for Spain and Latin America.
const spanishExamples: readonly CommandExample[] = [
  { label: 'Fotógrafo en blanco y negro', sample: 'camera' },
  { label: 'Astronauta', sample: 'astronaut' },
  { label: 'Gato', sample: 'chelsea' },
];

export default defineCommand({
  name: 'colorize',
  order: 30,
  task: 'colorize',
  run: () => import('../src/tasks/colorize.js').then((m) => m.colorizeTask),
  models: { uses: [{ task: 'colorize', setting: 'SINAPSIS_COLORIZE_MODEL' }], need: 'all' },
  texts: {
    'en-US': { name: 'colorize', description: 'Colour a black-and-white photo with a neural network' },
    'es-ES': { name: 'colorear', description: 'Colorea una foto en blanco y negro con una red neuronal' },
    'es-419': { name: 'colorear', description: 'Colorea una foto en blanco y negro con una red neuronal' },
  },
  help: {
    'en-US':
      'A convolutional network predicts the colours of a grey photo. Colour photos are turned grey first so you can compare the guess with the real colours.',
    'es-ES':
      'Una red convolucional predice los colores de una foto en gris. Las fotos en color se pasan primero a gris para que compares la predicción con los colores reales.',
    'es-419':
      'Una red convolucional predice los colores de una foto en gris. Las fotos en color se pasan primero a gris para que compares la predicción con los colores reales.',
  },
  options: [
    {
      name: 'image',
      type: 'image',
      required: true,
      ...PHOTO_LIMITS,
      texts: {
        'en-US': { name: 'image', description: 'Photo to colour (JPEG, PNG or WebP, up to 10 MB)', label: 'Photo' },
        'es-ES': { name: 'imagen', description: 'Foto a colorear (JPEG, PNG o WebP, hasta 10 MB)', label: 'Foto' },
        'es-419': { name: 'imagen', description: 'Foto a colorear (JPEG, PNG o WebP, hasta 10 MB)', label: 'Foto' },
      },
    },
    {
      name: 'strength',
      type: 'number',
      min: 0,
      max: 1,
      default: 1,
      texts: {
        'en-US': { name: 'strength', description: 'How much colour to add, 0 to 1', label: 'Strength' },
        'es-ES': { name: 'intensidad', description: 'Cuánto color añadir, de 0 a 1', label: 'Intensidad' },
        'es-419': { name: 'intensidad', description: 'Cuánto color agregar, de 0 a 1', label: 'Intensidad' },
      },
    },
    // A sample photo instead of the user's own (commands/sample-option.ts).
    sampleOption,
  ],
  contextMenu: {
    names: { 'en-US': 'Colorize', 'es-ES': 'Colorear', 'es-419': 'Colorear' },
    descriptions: {
      'en-US': 'Colour this message’s photo with a neural network',
      'es-ES': 'Colorea la foto de este mensaje con una red neuronal',
      'es-419': 'Colorea la foto de este mensaje con una red neuronal',
    },
    input: { image: 'image' },
    reply: 'public',
  },
  examples: {
    'en-US': [
      { label: 'Black-and-white photographer', sample: 'camera' },
      { label: 'Astronaut', sample: 'astronaut' },
      { label: 'Cat', sample: 'chelsea' },
    ],
    'es-ES': spanishExamples,
    'es-419': spanishExamples,
  },
});
