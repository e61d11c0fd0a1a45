import { sampleOption } from './sample-option.js';
import { type CommandExample, defineCommand, PHOTO_LIMITS } from './spec.js';

// The same Spanish examples for Spain and Latin America.
const spanishExamples: readonly CommandExample[] = [
  { label: '¿Qué es una convolución?', options: { topic: '¿Qué es una convolución?' } },
  {
    label: 'Qué ve una red convolucional en una foto de café',
    options: { topic: '¿Cómo ve una foto una red convolucional?' },
    sample: 'coffee',
  },
  { label: '¿Qué es un transformer?', options: { topic: '¿Qué es un transformer?' } },
];

export default defineCommand({
  name: 'explain',
  order: 50,
  task: 'explain',
  run: () => import('../src/tasks/explain.js').then((m) => m.explainTask),
  models: {
    uses: [{ task: 'embed', setting: 'SINAPSIS_EMBEDDING_MODEL' }, { task: 'detect-faces' }],
    need: 'optional',
  },
  texts: {
    'en-US': { name: 'explain', description: 'Ask the course tutor about a deep-learning concept' },
    'es-ES': { name: 'explicar', description: 'Pregunta al tutor del curso por un concepto de aprendizaje profundo' },
    'es-419': {
      name: 'explicar',
      description: 'Preguntale al tutor del curso por un concepto de aprendizaje profundo',
    },
  },
  help: {
    'en-US':
      'Answers from the course notes (short bilingual passages) and cites the one it used; says so when it has no notes on a question.',
    'es-ES':
      'Responde a partir de los apuntes del curso (pasajes cortos bilingües) y cita el que usó; si no tiene apuntes sobre la pregunta, lo dice.',
    'es-419':
      'Responde a partir de los apuntes del curso (pasajes cortos bilingües) y cita el que usó; si no tiene apuntes sobre la pregunta, lo dice.',
  },
  options: [
    {
      name: 'topic',
      type: 'string',
      required: true,
      minLength: 2,
      maxLength: 500,
      texts: {
        'en-US': {
          name: 'topic',
          description: 'A concept or a question, e.g. "what is a convolution?"',
          label: 'Question or concept',
        },
        'es-ES': {
          name: 'tema',
          description: 'Un concepto o una pregunta, p. ej. «¿qué es una convolución?»',
          label: 'Pregunta o concepto',
        },
        'es-419': {
          name: 'tema',
          description: 'Un concepto o una pregunta, p. ej. «¿qué es una convolución?»',
          label: 'Pregunta o concepto',
        },
      },
    },
    {
      name: 'detail',
      type: 'string',
      maxLength: 10,
      choices: ['simple', 'example', 'demo'],
      texts: {
        'en-US': {
          name: 'detail',
          description: 'Instead of the full note: simple, example, or demo (the command that shows it)',
          label: 'Answer style',
        },
        'es-ES': {
          name: 'detalle',
          description: 'En vez del apunte: simple (más fácil), example (ejemplo) o demo (el comando que lo muestra)',
          label: 'Tipo de respuesta',
        },
        'es-419': {
          name: 'detalle',
          description: 'En vez del apunte: simple (más fácil), example (ejemplo) o demo (el comando que lo muestra)',
          label: 'Tipo de respuesta',
        },
      },
    },
    {
      name: 'image',
      type: 'image',
      ...PHOTO_LIMITS,
      texts: {
        'en-US': {
          name: 'image',
          description: 'Optional photo: see what a convolutional network sees in it',
          label: 'Photo (optional)',
        },
        'es-ES': {
          name: 'imagen',
          description: 'Foto opcional: mira qué ve una red convolucional en ella',
          label: 'Foto (opcional)',
        },
        'es-419': {
          name: 'imagen',
          description: 'Foto opcional: mirá qué ve una red convolucional en ella',
          label: 'Foto (opcional)',
        },
      },
    },
    // A neuron by hand (/explain neuron): these four only matter for that computation.
    {
      name: 'inputs',
      type: 'string',
      maxLength: 200,
      texts: {
        'en-US': {
          name: 'inputs',
          description: 'Neuron by hand: the inputs, e.g. 1, 0.5, -2',
          label: 'Neuron: inputs',
        },
        'es-ES': {
          name: 'entradas',
          description: 'Neurona a mano: las entradas, p. ej. 1; 0,5; -2',
          label: 'Neurona: entradas',
        },
        'es-419': {
          name: 'entradas',
          description: 'Neurona a mano: las entradas, p. ej. 1; 0,5; -2',
          label: 'Neurona: entradas',
        },
      },
    },
    {
      name: 'weights',
      type: 'string',
      maxLength: 200,
      texts: {
        'en-US': {
          name: 'weights',
          description: 'Neuron by hand: one weight per input, e.g. 0.8, 0.6, -0.2',
          label: 'Neuron: weights',
        },
        'es-ES': {
          name: 'pesos',
          description: 'Neurona a mano: un peso por entrada, p. ej. 0,8; 0,6; -0,2',
          label: 'Neurona: pesos',
        },
        'es-419': {
          name: 'pesos',
          description: 'Neurona a mano: un peso por entrada, p. ej. 0,8; 0,6; -0,2',
          label: 'Neurona: pesos',
        },
      },
    },
    {
      name: 'bias',
      type: 'number',
      min: -1000,
      max: 1000,
      texts: {
        'en-US': {
          name: 'bias',
          description: 'Neuron by hand: the bias added to the weighted sum',
          label: 'Neuron: bias',
        },
        'es-ES': {
          name: 'sesgo',
          description: 'Neurona a mano: el sesgo que se suma a la suma ponderada',
          label: 'Neurona: sesgo',
        },
        'es-419': {
          name: 'sesgo',
          description: 'Neurona a mano: el sesgo que se suma a la suma ponderada',
          label: 'Neurona: sesgo',
        },
      },
    },
    {
      name: 'activation',
      type: 'string',
      maxLength: 10,
      choices: ['sigmoid', 'relu', 'tanh', 'step', 'linear'],
      texts: {
        'en-US': {
          name: 'activation',
          description: 'Neuron by hand: the activation function',
          label: 'Neuron: activation',
        },
        'es-ES': {
          name: 'activacion',
          description: 'Neurona a mano: la función de activación',
          label: 'Neurona: activación',
        },
        'es-419': {
          name: 'activacion',
          description: 'Neurona a mano: la función de activación',
          label: 'Neurona: activación',
        },
      },
    },
    // A sample photo instead of the user's own (commands/sample-option.ts).
    sampleOption,
  ],
  // The convolutions section of the notes, with the pictures made from this message's photo.
  contextMenu: {
    names: { 'en-US': 'Explain this image', 'es-ES': 'Explicar esta imagen', 'es-419': 'Explicar esta imagen' },
    descriptions: {
      'en-US': 'See what a convolutional network sees in this message’s photo',
      'es-ES': 'Mira qué ve una red convolucional en la foto de este mensaje',
      'es-419': 'Mirá qué ve una red convolucional en la foto de este mensaje',
    },
    input: { image: 'image' },
    preset: {
      topic: {
        es: '¿Qué ve una red convolucional en una imagen?',
        en: 'What does a convolutional network see in an image?',
      },
    },
    reply: 'public',
  },
  examples: {
    'en-US': [
      { label: 'What is a convolution?', options: { topic: 'What is a convolution?' } },
      {
        label: 'What a CNN sees in a coffee photo',
        options: { topic: 'How does a convolutional network see a photo?' },
        sample: 'coffee',
      },
      { label: 'What is a transformer?', options: { topic: 'What is a transformer?' } },
    ],
    'es-ES': spanishExamples,
    'es-419': spanishExamples,
  },
});
