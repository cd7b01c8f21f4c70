/** tm's version, written into every plan file and history row. Keep in step with package.json. */
export const TM_VERSION = '0.1.0';
