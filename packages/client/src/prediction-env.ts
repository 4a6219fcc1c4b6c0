/** The prediction mode from the environment: apart from frontend.ts so that the CLI checks it before the session code loads. */
import { parsePredictionMode, type PredictionMode } from '@tsmosh/terminal/front';

/**
 * TSMOSH_PREDICTION_DISPLAY (the bins copy mosh's MOSH_PREDICTION_DISPLAY into it when unset): adaptive (default),
 * always, never or experimental; read when no `predict` option is given (`tsmosh --predict=` passes that option).
 * Throws an Error with one line naming the variable and the accepted values.
 */
export function predictionModeFromEnv(env: NodeJS.ProcessEnv): PredictionMode {
  const value = env.TSMOSH_PREDICTION_DISPLAY;
  if (value === undefined || value === '') return 'adaptive';
  try {
    return parsePredictionMode(value);
  } catch (error) {
    throw new Error(`tsmosh: TSMOSH_PREDICTION_DISPLAY: ${(error as Error).message}`);
  }
}
