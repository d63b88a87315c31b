// Policy decisions → gateway error codes of the registry.
import { gatewayError, type GatewayError } from '../../translators/errors.ts';
import type { RefusalCode } from '../policy/admission.ts';

export function refusalError(code: RefusalCode, reason: string): GatewayError {
  return gatewayError(code === 'too-large' ? 'too-large' : code === 'user-not-enabled' ? 'user-not-enabled' : 'no-agreement', reason);
}
