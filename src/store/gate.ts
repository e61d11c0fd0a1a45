// The gate decides (core); the store only keeps its data (rules.ts). Re-exported for older importers.
export * from '../core/gate.js';
