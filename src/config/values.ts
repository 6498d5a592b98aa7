/** zod value schemas shared by the config tables (schema.ts) and the sink tables (sink-schema.ts). */
import { z } from 'zod';

const POSITIVE_INT = 'expected an integer > 0';
export const positiveInt = () => z.number({ error: POSITIVE_INT }).int({ error: POSITIVE_INT }).gt(0, { error: POSITIVE_INT });
/** A table of strings (`tags`, `expected_headers`, an OTLP sink's `headers`). */
export const stringTable = z.record(z.string(), z.string());
