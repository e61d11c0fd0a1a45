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
    'en-US': 'Answers from the course notes (short bilingual passages) and cites the one it used; says so when it has no notes on a question.',
    'es-ES': 'Responde a partir de los apuntes del curso (pasajes cortos bilingües) y cita el que usó; si no tiene apuntes sobre la pregunta, lo dice.',
    'es-419': 'Responde a partir de los apuntes del curso (pasajes cortos bilingües) y cita el que usó; si no tiene apuntes sobre la pregunta, lo dice.',
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
      name: 'detail',
      type: 'string',
      maxLength: 10,
      choices: ['simple', 'example', 'demo'],
      texts: {
        'en-US': { name: 'detail', description: 'Instead of the full note: simple, example, or demo (the command that shows it)' },
        'es-ES': { name: 'detalle', description: 'En vez del apunte: simple (más fácil), example (ejemplo) o demo (el comando que lo muestra)' },
        'es-419': { name: 'detalle', description: 'En vez del apunte: simple (más fácil), example (ejemplo) o demo (el comando que lo muestra)' },
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
  ],
});
