import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useTheme } from 'styled-components';
import { useIntl } from 'react-intl';
import { getTranslation } from '../../utils/getTranslation';
import { formatMajor, minorToMajorString } from '../../utils/money';
import type { DashboardSeries } from '../../utils/types';

interface Props {
  series: DashboardSeries;
  exponent: number;
}

/**
 * Collected and refunded per month for one currency (recharts, loaded lazily by the dashboard).
 * Bars carry major units as numbers for the axis; labels and tooltips format the exact minor units.
 */
const CollectedChart = ({ series, exponent }: Props) => {
  const intl = useIntl();
  const { colors } = useTheme();
  const t = (id: string, defaultMessage: string) => intl.formatMessage({ id: getTranslation(id), defaultMessage });
  const month = (key: string) =>
    intl.formatDate(new Date(`${key}-01T00:00:00Z`), { month: 'short', year: '2-digit', timeZone: 'UTC' });
  const data = series.points.map((p) => ({
    ...p,
    label: month(p.month),
    collectedMajor: Number(minorToMajorString(p.collected, exponent)),
    refundedMajor: Number(minorToMajorString(p.refunded, exponent)),
  }));
  const compact = new Intl.NumberFormat(intl.locale, {
    style: 'currency',
    currency: series.currency,
    notation: 'compact',
    maximumSignificantDigits: 3,
  });
  const names = {
    collectedMajor: t('dashboard.collected', 'Collected'),
    refundedMajor: t('dashboard.refunded', 'Refunded'),
  };
  return (
    <div data-testid="collected-chart" style={{ width: '100%', height: 320 }}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 8, left: 8 }} accessibilityLayer>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" tick={{ fontSize: 12 }} />
          <YAxis tickFormatter={(v: number) => compact.format(v)} tick={{ fontSize: 12 }} width={72} />
          <Tooltip
            formatter={(_value, name, item) => {
              const p = item.payload as (typeof data)[number];
              const minor = name === names.refundedMajor ? p.refunded : p.collected;
              return [formatMajor(minor, series.currency, exponent, intl.locale), name];
            }}
          />
          <Legend />
          <Bar
            dataKey="collectedMajor"
            name={names.collectedMajor}
            fill={colors.primary600}
            radius={[4, 4, 0, 0]}
            isAnimationActive={false}
          />
          <Bar
            dataKey="refundedMajor"
            name={names.refundedMajor}
            fill={colors.danger500}
            radius={[4, 4, 0, 0]}
            isAnimationActive={false}
          />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
};

export default CollectedChart;
