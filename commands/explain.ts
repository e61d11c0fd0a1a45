import { defineCommand, PHOTO_LIMITS } from './spec.js';

export default defineCommand({
  name: 'explain',
  task: 'explain',
  texts: {
    'en-US': { name: 'explain', description: 'Ask the course tutor about a deep-learning concept' },
    'es-ES': { name: 'explicar', description: 'Pregunta al tutor del curso por un concepto de aprendizaje profundo' },
    'es-419': { name: 'explicar', description: 'Preguntale al tutor del curso por un concepto de aprendizaje profundo' },
  },
  help: {
    'en-US': 'Answers from the course notes (bilingual knowledge base) and cites the section it used.',
    'es-ES': 'Responde a partir de los apuntes del curso (base de conocimiento bilingüe) y cita la sección usada.',
    'es-419': 'Responde a partir de los apuntes del curso (base de conocimiento bilingüe) y cita la sección usada.',
  },
  options: [
    {
      name: 'topic',
      type: 'string',
      required: true,
      minLength: 2,
      maxLength: 500,
      texts: {
        'en-US': { name: 'topic', description: 'A concept or a question, e.g. "what is a convolution?"' },
        'es-ES': { name: 'tema', description: 'Un concepto o una pregunta, p. ej. «¿qué es una convolución?»' },
        'es-419': { name: 'tema', description: 'Un concepto o una pregunta, p. ej. «¿qué es una convolución?»' },
      },
    },
    {
      name: 'image',
      type: 'image',
      ...PHOTO_LIMITS,
      texts: {
        'en-US': { name: 'image', description: 'Optional photo: see what a convolutional network sees in it' },
        'es-ES': { name: 'imagen', description: 'Foto opcional: mira qué ve una red convolucional en ella' },
        'es-419': { name: 'imagen', description: 'Foto opcional: mirá qué ve una red convolucional en ella' },
      },
    },
    // A neuron by hand (/explain neuron): these four only matter for that computation.
    {
      name: 'inputs',
      type: 'string',
      maxLength: 200,
      texts: {
        'en-US': { name: 'inputs', description: 'Neuron by hand: the inputs, e.g. 1, 0.5, -2' },
        'es-ES': { name: 'entradas', description: 'Neurona a mano: las entradas, p. ej. 1; 0,5; -2' },
        'es-419': { name: 'entradas', description: 'Neurona a mano: las entradas, p. ej. 1; 0,5; -2' },
      },
    },
    {
      name: 'weights',
      type: 'string',
      maxLength: 200,
      texts: {
        'en-US': { name: 'weights', description: 'Neuron by hand: one weight per input, e.g. 0.8, 0.6, -0.2' },
        'es-ES': { name: 'pesos', description: 'Neurona a mano: un peso por entrada, p. ej. 0,8; 0,6; -0,2' },
        'es-419': { name: 'pesos', description: 'Neurona a mano: un peso por entrada, p. ej. 0,8; 0,6; -0,2' },
      },
    },
    {
      name: 'bias',
      type: 'number',
      min: -1000,
      max: 1000,
      texts: {
        'en-US': { name: 'bias', description: 'Neuron by hand: the bias added to the weighted sum' },
        'es-ES': { name: 'sesgo', description: 'Neurona a mano: el sesgo que se suma a la suma ponderada' },
        'es-419': { name: 'sesgo', description: 'Neurona a mano: el sesgo que se suma a la suma ponderada' },
      },
    },
    {
      name: 'activation',
      type: 'string',
      maxLength: 10,
      choices: ['sigmoid', 'relu', 'tanh', 'step', 'linear'],
      texts: {
        'en-US': { name: 'activation', description: 'Neuron by hand: the activation function' },
        'es-ES': { name: 'activacion', description: 'Neurona a mano: la función de activación' },
        'es-419': { name: 'activacion', description: 'Neurona a mano: la función de activación' },
      },
    },
  ],
});
