/**
 * @trellis/prod — fixed, validated pipelines on scikit-learn's conventions, for production services.
 */
export const PROD_VERSION = "0.1.0";
