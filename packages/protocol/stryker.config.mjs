import { strykerConfig } from '../../stryker.shared.mjs';

export default strykerConfig('protocol');
