import type { CliCommand } from '../command.js';
import { auditCommand } from './audit.js';
import { bomCommand } from './bom.js';
import { lockCommand } from './lock.js';
import { reportCommand } from './report.js';
import { scanCommand } from './scan.js';
import { signCommand } from './sign.js';
import { verifyCommand } from './verify.js';
import { verifySignatureCommand } from './verify-signature.js';

/** Every `antidote` sub-command, in the order the usage lists them. Add a command here and nowhere else. */
export const COMMANDS: readonly CliCommand[] = [scanCommand, reportCommand, lockCommand, verifyCommand, bomCommand, signCommand, verifySignatureCommand, auditCommand];
