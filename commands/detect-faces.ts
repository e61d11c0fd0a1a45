import { sampleOption } from './sample-option.js';
import { type CommandExample, defineCommand, PHOTO_LIMITS } from './spec.js';

// The same Spanish examples for Spain and Latin America.
const spanishExamples: readonly CommandExample[] = [
  { label: 'Astronauta', sample: 'astronaut' },
  { label: 'Fotógrafo', sample: 'camera' },
  { label: 'Astronauta, cara difuminada', sample: 'astronaut', options: { blur: true } },
  { label: 'Un gato: ¿lo confunde con una cara?', sample: 'chelsea' },
];

export default defineCommand({
  name: 'detect-faces',
  order: 40,
  task: 'detect-faces',
  run: () => import('../src/tasks/detect-faces.js').then((m) => m.detectFacesTask),
  models: { uses: [{ task: 'detect-faces' }], need: 'all' },
  // Under a result: "blur faces" when they are boxed, "show boxes" when they are blurred.
  buttons: { toggle: { option: 'blur', on: 'blur', off: 'boxes' } },
  texts: {
    'en-US': { name: 'detect-faces', description: 'Find faces in a photo with a convolutional network (YuNet)' },
    'es-ES': { name: 'detectar-caras', description: 'Encuentra caras en una foto con una red convolucional (YuNet)' },
    'es-419': { name: 'detectar-caras', description: 'Encuentra caras en una foto con una red convolucional (YuNet)' },
  },
  help: {
    'en-US':
      'Upload a photo (JPEG, PNG or WebP). YuNet, a tiny convolutional network, marks every face it finds with a numbered box, its confidence and five landmarks (eyes, nose, mouth corners). With "blur" it blurs the faces instead. It only detects where faces are: it never identifies who someone is and never compares faces.',
    'es-ES':
      'Sube una foto (JPEG, PNG o WebP). YuNet, una red convolucional diminuta, marca cada cara que encuentra con un recuadro numerado, su confianza y cinco puntos (ojos, nariz, comisuras). Con "difuminar" difumina las caras en lugar de marcarlas. Solo detecta dónde hay caras: nunca identifica a nadie ni compara caras.',
    'es-419':
      'Subí una foto (JPEG, PNG o WebP). YuNet, una red convolucional diminuta, marca cada cara que encuentra con un recuadro numerado, su confianza y cinco puntos (ojos, nariz, comisuras). Con "difuminar" difumina las caras en vez de marcarlas. Solo detecta dónde hay caras: nunca identifica a nadie ni compara caras.',
  },
  options: [
    {
      name: 'image',
      type: 'image',
      required: true,
      ...PHOTO_LIMITS,
      texts: {
        'en-US': { name: 'image', description: 'Photo with faces (JPEG, PNG or WebP, up to 10 MB)', label: 'Photo' },
        'es-ES': { name: 'imagen', description: 'Foto con caras (JPEG, PNG o WebP, hasta 10 MB)', label: 'Foto' },
        'es-419': { name: 'imagen', description: 'Foto con caras (JPEG, PNG o WebP, hasta 10 MB)', label: 'Foto' },
      },
    },
    {
      name: 'blur',
      type: 'boolean',
      default: false,
      texts: {
        'en-US': { name: 'blur', description: 'Blur the faces instead of drawing boxes', label: 'Blur the faces' },
        'es-ES': {
          name: 'difuminar',
          description: 'Difumina las caras en lugar de dibujar recuadros',
          label: 'Difuminar las caras',
        },
        'es-419': {
          name: 'difuminar',
          description: 'Difumina las caras en vez de dibujar recuadros',
          label: 'Difuminar las caras',
        },
      },
    },
    {
      name: 'min-score',
      type: 'number',
      min: 0.3,
      max: 0.99,
      default: 0.6,
      texts: {
        'en-US': {
          name: 'min-score',
          description: 'Minimum confidence for a face, 0.3 to 0.99 (default 0.6)',
          label: 'Minimum confidence',
        },
        'es-ES': {
          name: 'confianza-minima',
          description: 'Confianza mínima para una cara, de 0.3 a 0.99 (por defecto 0.6)',
          label: 'Confianza mínima',
        },
        'es-419': {
          name: 'confianza-minima',
          description: 'Confianza mínima para una cara, de 0.3 a 0.99 (por defecto 0.6)',
          label: 'Confianza mínima',
        },
      },
    },
    // A sample photo instead of the user's own (commands/sample-option.ts).
    sampleOption,
  ],
  contextMenu: {
    names: { 'en-US': 'Detect faces', 'es-ES': 'Detectar caras', 'es-419': 'Detectar caras' },
    descriptions: {
      'en-US': 'Find the faces in this message’s photo',
      'es-ES': 'Encuentra las caras en la foto de este mensaje',
      'es-419': 'Encuentra las caras en la foto de este mensaje',
    },
    input: { image: 'image' },
    reply: 'public',
  },
  examples: {
    'en-US': [
      { label: 'Astronaut', sample: 'astronaut' },
      { label: 'Photographer', sample: 'camera' },
      { label: 'Astronaut, face blurred', sample: 'astronaut', options: { blur: true } },
      { label: 'A cat: does it mistake it for a face?', sample: 'chelsea' },
    ],
    'es-ES': spanishExamples,
    'es-419': spanishExamples,
  },
});
