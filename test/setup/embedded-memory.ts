/**
 * vitest set-up file: every `embedded:memory` warehouse of a test file starts from the pristine data
 * directory pglite-template.ts made (the same files initdb writes), instead of running initdb again.
 */
import { openAsBlob } from "node:fs";
import { inject } from "vitest";
import { setEmbeddedMemoryTemplate } from "../../shared/src/warehouse/warehouse";

const file = inject("pgliteMemoryTemplate");
if (file) setEmbeddedMemoryTemplate(await openAsBlob(file));
